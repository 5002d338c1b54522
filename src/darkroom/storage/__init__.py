"""Storage of inputs and outputs: local files with signed URLs, or S3-compatible object storage."""

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from darkroom.storage.base import InvalidKey, SignedUrl, Storage, StorageError
from darkroom.storage.local import LocalStorage

__all__ = ["InvalidKey", "LocalStorage", "SignedUrl", "Storage", "StorageError", "open_storage"]


def open_storage(url: str, secret: bytes) -> Storage:
    """Open storage from a `file://` URL (local folder)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(Path(url2pathname(parsed.path)), secret)
    raise ValueError(f"unsupported storage URL {url!r}: use file:///path")
