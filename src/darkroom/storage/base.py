"""Storage of inputs and rendered images. Keys are relative paths such as `projects/<id>/outputs/<id>-0.png`."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO


class StorageError(Exception):
    pass


class InvalidKey(StorageError):
    pass


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires_at: datetime


def check_key(key: str) -> str:
    """Reject keys that could leave the storage root: absolute paths, `..`, backslashes, empty parts."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or "\x00" in key or any(p in ("", ".", "..") for p in parts):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


class Storage(ABC):
    @abstractmethod
    def put_file(self, key: str, source: Path) -> None: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def get_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def read_head(self, key: str, max_bytes: int) -> bytes:
        """Return up to `max_bytes` from the start of the object: enough to read an image header."""

    @abstractmethod
    def download_to(self, key: str, target: Path) -> None: ...

    @abstractmethod
    def copy(self, source_key: str, target_key: str) -> None: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """Return the object's size in bytes, or None when it does not exist."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix`; return how many were deleted."""

    @abstractmethod
    def download_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl: ...

    @abstractmethod
    def upload_url(self, key: str, base_url: str, expires_in_s: int) -> SignedUrl: ...

    def open_stream(self, key: str) -> BinaryIO:
        import io

        return io.BytesIO(self.get_bytes(key))
