"""HTTP for the SDK: the base URL and API key, retries with backoff, and the translation of errors.

One httpx client carries both the API calls and the file transfers. The API key goes only on
requests to the API's base URL, never to upload or download URLs, which carry their own signature
(an S3 presigned URL rejects a request that also has an Authorization header).

No request follows a redirect: Darkroom responds to API calls, uploads and downloads directly, so a
redirect means a misconfigured proxy or a URL that is not Darkroom's, and it becomes an ApiError.
"""

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from darkroom import __version__
from darkroom.client._errors import ApiConnectionError, ApiError

logger = logging.getLogger("darkroom.client")

T = TypeVar("T")

IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = f"darkroom-python/{__version__}"
DEFAULT_TIMEOUT_S = 60.0

# RFC 9110 section 9.2.2: repeating these methods has the same effect as sending them once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# These errors happen before any byte of the request reaches the server, so a retry cannot
# repeat an action, whatever the method.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# These may happen after the server received the request: only idempotent requests are retried.
MAYBE_SENT_ERRORS = (
    httpx.ReadError,
    httpx.WriteError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
    httpx.CloseError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a failed request again.

    A request is retried after a connection error, a 429 or a 5xx response, at most `max_retries`
    times. The wait doubles from `backoff_s` up to `max_backoff_s`, with random jitter so that many
    clients do not retry in step. A 429 or 503 with `Retry-After` waits as long as the header asks for,
    up to `max_retry_after_s`.
    """

    max_retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")

    def delay_s(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Return the seconds to wait before retry number `attempt + 1`."""
        retry_after = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        ceiling = min(self.backoff_s * 2**attempt, self.max_backoff_s)
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds that a Retry-After header requests: delay-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def may_repeat(request: httpx.Request, retry_safe: bool) -> bool:
    """Return whether sending the request twice is harmless: an idempotent method, a POST with an
    idempotency key, or a call that the SDK marks `retry_safe` because repeating it changes nothing
    that the caller can see."""
    return retry_safe or request.method in IDEMPOTENT_METHODS or IDEMPOTENCY_HEADER in request.headers


def should_retry_response(request: httpx.Request, response: httpx.Response, retry_safe: bool) -> bool:
    retryable_status = response.status_code == 429 or response.status_code >= 500
    return retryable_status and may_repeat(request, retry_safe)


def should_retry_error(request: httpx.Request, error: httpx.TransportError, retry_safe: bool) -> bool:
    if isinstance(error, NOT_SENT_ERRORS):
        return True
    return isinstance(error, MAYBE_SENT_ERRORS) and may_repeat(request, retry_safe)


def error_for(response: httpx.Response) -> ApiError:
    if response.is_redirect:
        location = response.headers.get("Location", "")
        return ApiError(
            response, f"the server redirected to {location!r}, and the SDK does not follow redirects"
        )
    return ApiError(response)


def api_path(*segments: str) -> str:
    """Return `/v1/<segment>/...` with each segment percent-encoded, so an id stays one path segment.

    An id with `/`, `?` or `#` would otherwise name another path or start a query. `.` and `..` are
    encoded as `%2E` too, because URL normalization removes dot segments (RFC 3986, section 5.2.4).
    """
    encoded = []
    for segment in segments:
        quoted = quote(segment, safe="")
        encoded.append(quoted.replace(".", "%2E") if quoted in (".", "..") else quoted)
    return "/v1/" + "/".join(encoded)


def normalize_base_url(base_url: str) -> str:
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
    return base_url.rstrip("/")


def _log_retry(
    request: httpx.Request, attempt: int, policy: RetryPolicy, delay_s: float, reason: str
) -> None:
    logger.warning(
        "retrying %s %s in %.2f s (retry %d of %d): %s",
        request.method,
        request.url.copy_with(query=None),
        delay_s,
        attempt + 1,
        policy.max_retries,
        reason,
    )


class _TransportBase:
    def __init__(self, *, base_url: str, token: str, policy: RetryPolicy):
        self.base_url = normalize_base_url(base_url)
        self.token = token
        self.policy = policy

    http: httpx.Client | httpx.AsyncClient

    def api_request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        request_options: dict[str, Any] | None = None,
    ) -> httpx.Request:
        """Build a request to the API, with the key, the caller's extra headers and query, and the timeout.

        `request_options` takes the official SDK's keys: `timeout` (seconds), `additional_headers`
        and `additional_params`.
        """
        options = request_options or {}
        headers = {"Authorization": f"Bearer {self.token}", "User-Agent": USER_AGENT}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        headers.update(options.get("additional_headers") or {})
        query = {key: value for key, value in (params or {}).items() if value is not None}
        query.update(options.get("additional_params") or {})
        extra: dict[str, Any] = {}
        if options.get("timeout") is not None:
            extra["timeout"] = options["timeout"]
        return self.http.build_request(
            method, self.base_url + path, json=json, params=query, headers=headers, **extra
        )


class SyncTransport(_TransportBase):
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        policy: RetryPolicy,
        timeout_s: float | None,
        httpx_client: httpx.Client | None = None,
    ):
        super().__init__(base_url=base_url, token=token, policy=policy)
        self.http = httpx_client or httpx.Client(timeout=timeout_s)
        self._owns_http = httpx_client is None

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def request(self, method: str, path: str, *, retry_safe: bool = False, **kwargs: Any) -> httpx.Response:
        """Send an API request with retries; raise ApiError unless the response is a success."""
        return self.send(lambda: self.api_request(method, path, **kwargs), retry_safe=retry_safe)

    def send(
        self,
        build: Callable[[], httpx.Request],
        consume: Callable[[httpx.Response], T] | None = None,
        *,
        retry_safe: bool = False,
    ) -> Any:
        """Send the request that `build` makes, retrying under the policy.

        `build` runs once per attempt, so a request body that is a stream starts over each time.
        Without `consume`, the response is read and returned. With it, the body is streamed and
        `consume(response)` runs inside the retry loop, so a connection lost mid-body is retried too.
        """
        attempt = 0
        while True:
            request = build()
            try:
                response = self.http.send(request, stream=consume is not None, follow_redirects=False)
                if response.is_success and consume is not None:
                    try:
                        return consume(response)
                    finally:
                        response.close()
            except httpx.TransportError as error:
                if attempt < self.policy.max_retries and should_retry_error(request, error, retry_safe):
                    delay_s = self.policy.delay_s(attempt)
                    _log_retry(request, attempt, self.policy, delay_s, f"{type(error).__name__}: {error}")
                    time.sleep(delay_s)
                    attempt += 1
                    continue
                raise ApiConnectionError(request.method, str(request.url), error, attempt + 1) from error

            if response.is_success:
                return response
            response.read()
            response.close()
            if attempt < self.policy.max_retries and should_retry_response(request, response, retry_safe):
                delay_s = self.policy.delay_s(attempt, response)
                _log_retry(request, attempt, self.policy, delay_s, f"status {response.status_code}")
                time.sleep(delay_s)
                attempt += 1
                continue
            raise error_for(response)


class AsyncTransport(_TransportBase):
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        policy: RetryPolicy,
        timeout_s: float | None,
        httpx_client: httpx.AsyncClient | None = None,
    ):
        super().__init__(base_url=base_url, token=token, policy=policy)
        self.http = httpx_client or httpx.AsyncClient(timeout=timeout_s)
        self._owns_http = httpx_client is None

    async def close(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def request(
        self, method: str, path: str, *, retry_safe: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send an API request with retries; raise ApiError unless the response is a success."""
        return await self.send(lambda: self.api_request(method, path, **kwargs), retry_safe=retry_safe)

    async def send(
        self,
        build: Callable[[], httpx.Request],
        consume: Callable[[httpx.Response], Awaitable[T]] | None = None,
        *,
        retry_safe: bool = False,
    ) -> Any:
        """Send the request that `build` makes, retrying under the policy; see SyncTransport.send."""
        attempt = 0
        while True:
            request = build()
            try:
                response = await self.http.send(request, stream=consume is not None, follow_redirects=False)
                if response.is_success and consume is not None:
                    try:
                        return await consume(response)
                    finally:
                        await response.aclose()
            except httpx.TransportError as error:
                if attempt < self.policy.max_retries and should_retry_error(request, error, retry_safe):
                    delay_s = self.policy.delay_s(attempt)
                    _log_retry(request, attempt, self.policy, delay_s, f"{type(error).__name__}: {error}")
                    await asyncio.sleep(delay_s)
                    attempt += 1
                    continue
                raise ApiConnectionError(request.method, str(request.url), error, attempt + 1) from error

            if response.is_success:
                return response
            await response.aread()
            await response.aclose()
            if attempt < self.policy.max_retries and should_retry_response(request, response, retry_safe):
                delay_s = self.policy.delay_s(attempt, response)
                _log_retry(request, attempt, self.policy, delay_s, f"status {response.status_code}")
                await asyncio.sleep(delay_s)
                attempt += 1
                continue
            raise error_for(response)
