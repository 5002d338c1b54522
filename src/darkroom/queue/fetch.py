"""Fetching of URL inputs, guarded against server-side request forgery.

Every address a host name resolves to is checked, the connection goes to a checked address (so a
second DNS answer cannot swap in another), and each redirect is checked the same way. Loopback,
private, link-local, multicast, reserved and cloud metadata addresses are refused unless the host is
on the operator's allow list.
"""

import ipaddress
import logging
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from darkroom.renderers.base import FileTooLarge, RenderError

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CHUNK_BYTES = 64 * 1024


class InvalidImagePath(RenderError):
    def __init__(self, message: str):
        super().__init__("invalid_image_path", message)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class UrlFetcher:
    def __init__(self, *, timeout_s: float, max_bytes: int, allow_hosts: list[str] | None = None):
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_hosts = {host.lower() for host in allow_hosts or []}

    def fetch(self, url: str, target: Path, *, field: str) -> None:
        """Download `url` into `target`, or raise a RenderError with Magic Hour's code."""
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                response = self._request(client, url, field)
                try:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise InvalidImagePath(f"{field}: fetching {url} returned HTTP {response.status_code}")
                    self._save(response, target, url, field)
                    return
                finally:
                    response.close()
        raise InvalidImagePath(f"{field}: {url} redirected more than {MAX_REDIRECTS} times")

    def _request(self, client: httpx.Client, url: str, field: str) -> httpx.Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidImagePath(f"{field}: {url!r} is not an http(s) URL")
        host = parts.hostname.lower()
        address = self._checked_address(host, parts.port or (443 if parts.scheme == "https" else 80), field)

        # Connect to the address that was checked, and send the host name in Host and in TLS SNI.
        netloc = f"[{address}]" if ":" in address else address
        if parts.port:
            netloc += f":{parts.port}"
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        request = client.build_request("GET", pinned, headers=headers, extensions={"sni_hostname": host})
        try:
            return client.send(request, stream=True)
        except httpx.TimeoutException:
            raise InvalidImagePath(f"{field}: fetching {url} timed out after {self.timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise InvalidImagePath(f"{field}: fetching {url} failed: {error}") from None

    def _checked_address(self, host: str, port: int, field: str) -> str:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            raise InvalidImagePath(f"{field}: host {host!r} could not be resolved") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if host not in self.allow_hosts:
            blocked = [str(a) for a in addresses if not is_public_address(a)]
            if blocked:
                logger.warning("URL input to %s rejected: resolves to %s", host, ", ".join(blocked))
                raise InvalidImagePath(
                    f"{field}: host {host!r} resolves to a non-public address ({blocked[0]}), which is not allowed"
                )
        return str(addresses[0])

    def _save(self, response: httpx.Response, target: Path, url: str, field: str) -> None:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FileTooLarge(f"{field}: {url} is {int(declared)} bytes; the limit is {self.max_bytes}")
        size = 0
        try:
            with target.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FileTooLarge(f"{field}: {url} is larger than the limit of {self.max_bytes} bytes")
                    handle.write(chunk)
        except httpx.TimeoutException:
            raise InvalidImagePath(f"{field}: fetching {url} timed out after {self.timeout_s:g} s") from None
        except httpx.HTTPError as error:
            raise InvalidImagePath(f"{field}: fetching {url} failed: {error}") from None
