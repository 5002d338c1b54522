"""Identifiers in the shape Magic Hour uses: cuids of 25 lowercase alphanumerics starting with a letter."""

import secrets
import string
import time

_ALPHABET = string.digits + string.ascii_lowercase
_TIME_DIGITS = 8
_RANDOM_DIGITS = 16


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 36)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


def new_cuid() -> str:
    """Return a new cuid: 'c', 8 base-36 digits of milliseconds, then 16 random base-36 digits.

    The time prefix keeps ids roughly sorted by creation, which makes cursor pagination cheap.
    """
    millis = int(time.time() * 1000)
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_DIGITS))
    return "c" + _base36(millis, _TIME_DIGITS) + random_part


def new_token(prefix: str, nbytes: int = 24) -> str:
    """Return a URL-safe random secret such as an API key, with a readable prefix."""
    return prefix + secrets.token_urlsafe(nbytes)
