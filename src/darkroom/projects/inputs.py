"""Checks of a create request's file inputs, before anything is charged.

An input is either a `file_path` that the caller uploaded (or that face detection made for them), or
an http(s) URL that a worker fetches at render time.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from darkroom.errors import InvalidInput, PayloadTooLarge
from darkroom.renderers.base import RenderError
from darkroom.renderers.images import ImageLimits, probe
from darkroom.storage import Storage
from darkroom.storage.base import InvalidKey, check_key
from darkroom.store.models import Asset

ASSET_PREFIX = "api-assets/"
# Bytes read to find an image's size; JPEG headers sit behind EXIF data, which is rarely larger.
HEADER_BYTES = 512 * 1024


@dataclass(frozen=True)
class InputRef:
    field: str  # dotted request field, such as "assets.image_file_path"
    value: str  # the file_path or URL as sent
    is_url: bool

    @property
    def extension(self) -> str:
        path = urlsplit(self.value).path if self.is_url else self.value
        return PurePosixPath(path).suffix.lower().lstrip(".")


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def check_inputs(
    session: Session, storage: Storage, account_id: str, paths: dict[str, str], limits: ImageLimits,
    max_upload_bytes: int | None = None,
) -> list[InputRef]:
    """Return the inputs of a request, raising InvalidInput (naming the field) for any that is unusable.

    `max_upload_bytes` rejects larger uploads with PayloadTooLarge. Object storage needs this check:
    a presigned PUT cannot limit the size of what a client sends.
    """
    refs = []
    for field, value in paths.items():
        if is_url(value):
            _check_url(field, value)
            refs.append(InputRef(field, value, is_url=True))
        else:
            _check_asset(session, storage, account_id, field, value, limits, max_upload_bytes)
            refs.append(InputRef(field, value, is_url=False))
    return refs


def _check_url(field: str, value: str) -> None:
    parts = urlsplit(value)
    if not parts.hostname:
        raise InvalidInput(field, f"{field} is not a valid URL: {value!r} has no host")
    if parts.username or parts.password:
        raise InvalidInput(field, f"{field} must not carry credentials in the URL")


def _check_asset(
    session: Session, storage: Storage, account_id: str, field: str, value: str, limits: ImageLimits,
    max_upload_bytes: int | None,
) -> None:
    not_found = InvalidInput(
        field,
        f"{field} {value!r} is not a file_path of this account: upload the file with "
        "POST /v1/files/upload-urls first, or pass an http(s) URL",
    )
    if not value.startswith(ASSET_PREFIX):
        raise not_found
    try:
        check_key(value)
    except InvalidKey:
        raise not_found from None
    asset = session.get(Asset, value)
    if asset is None or asset.account_id != account_id:
        raise not_found

    size = storage.size(value)
    if size is None or size == 0:
        raise InvalidInput(field, f"{field} {value!r} has not been uploaded yet (the PUT to its upload_url is missing)")
    if max_upload_bytes is not None and size > max_upload_bytes:
        raise PayloadTooLarge(f"{field} {value!r} is {size} bytes; the limit is {max_upload_bytes} bytes", field=field)
    try:
        probe(storage.read_head(value, HEADER_BYTES), limits)
    except RenderError as error:
        if error.code == "invalid_image_file" and size > HEADER_BYTES:
            # The header may sit beyond the first bytes; read the whole file before judging it.
            try:
                probe(storage.get_bytes(value), limits)
                return
            except RenderError as retry_error:
                error = retry_error
        raise InvalidInput(field, f"{field} {value!r}: {error.message}") from None
