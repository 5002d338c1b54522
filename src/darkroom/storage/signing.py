"""HMAC-signed URLs for files that Darkroom serves itself."""

import hashlib
import hmac
import time


def sign(secret: bytes, method: str, key: str, expires: int) -> str:
    message = f"{method}\n{key}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(secret: bytes, method: str, key: str, expires: str, signature: str, *, now: float | None = None) -> bool:
    """Return True when the signature matches and the expiry (Unix seconds) is still ahead."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < (time.time() if now is None else now):
        return False
    expected = sign(secret, method, key, expires_at)
    return hmac.compare_digest(expected, signature or "")
