"""Storage of inputs and outputs: local files with signed URLs, or S3-compatible object storage."""

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from darkroom.storage.base import InvalidKey, SignedUrl, Storage, StorageError
from darkroom.storage.local import LocalStorage

__all__ = ["InvalidKey", "LocalStorage", "SignedUrl", "Storage", "StorageError", "open_storage"]


def open_storage(url: str, secret: bytes | None = None, s3_options=None) -> Storage:
    """Open storage from a `file://` URL (a local folder, signing URLs with `secret`) or `s3://bucket/prefix`."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if secret is None:
            raise ValueError("local storage needs a secret key to sign its URLs")
        return LocalStorage(Path(url2pathname(parsed.path)), secret)
    if parsed.scheme == "s3":
        # Imported here so that installs without the [distributed] extra (no boto3) can use local storage.
        from darkroom.storage.s3 import S3Options, S3Storage

        return S3Storage.from_url(url, s3_options or S3Options())
    raise ValueError(f"unsupported storage URL {url!r}: use file:///path or s3://bucket/prefix")
