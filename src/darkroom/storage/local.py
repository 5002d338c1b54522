"""Files on a local disk, served by Darkroom through HMAC-signed URLs that expire."""

import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

from darkroom.storage.base import SignedUrl, Storage, check_key
from darkroom.storage.signing import sign

# URL paths of the routes that serve signed files (server/routes/storage.py).
DOWNLOAD_ROUTE = "/v1/storage/"
UPLOAD_ROUTE = "/v1/uploads/"


class LocalStorage(Storage):
    def __init__(self, root: Path, secret: bytes):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.secret = secret

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, source: Path) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, target)

    def get_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def read_head(self, key: str, max_bytes: int) -> bytes:
        with self.path(key).open("rb") as handle:
            return handle.read(max_bytes)

    def download_to(self, key: str, target: Path) -> None:
        shutil.copyfile(self.path(key), target)

    def copy(self, source_key: str, target_key: str) -> None:
        source, target = self.path(source_key), self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # A hard link costs no space; stored files are never modified in place, only replaced.
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete_prefix(self, prefix: str) -> int:
        folder = self.path(prefix.rstrip("/"))
        if folder.is_dir():
            count = sum(1 for item in folder.rglob("*") if item.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            return count
        if folder.is_file():
            folder.unlink(missing_ok=True)
            return 1
        return 0

    def download_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl:
        return self._signed_url("GET", DOWNLOAD_ROUTE, key, base_url, expires_in_s)

    def upload_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl:
        return self._signed_url("PUT", UPLOAD_ROUTE, key, base_url, expires_in_s)

    def _signed_url(self, method: str, route: str, key: str, base_url: str, expires_in_s: int) -> SignedUrl:
        expires = int(time.time()) + expires_in_s
        query = urlencode({"expires": expires, "signature": sign(self.secret, method, key, expires)})
        url = f"{base_url.rstrip('/')}{route}{quote(check_key(key))}?{query}"
        return SignedUrl(url=url, expires_at=datetime.fromtimestamp(expires, timezone.utc))
