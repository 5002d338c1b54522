"""Uploads to and downloads from the signed URLs that the server hands out.

Uploads stream the file from disk with its Content-Length (S3 presigned PUTs reject chunked
bodies). Downloads stream to disk, create the folder, and never overwrite a file: a name that
is taken gets a `-1`, `-2`, ... suffix, and the file is created with O_EXCL so that two downloads
running at once cannot pick the same name.
"""

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, Union
from urllib.parse import unquote, urlsplit

import httpx

from darkroom.client._transport import AsyncTransport, SyncTransport
from darkroom.wire import UploadUrlsResponse
from darkroom.wire.files import IMAGE_EXTENSIONS

FileInput = Union[str, "os.PathLike[str]", BinaryIO, IO[bytes]]

ASSET_PREFIX = "api-assets/"
CHUNK_BYTES = 1024 * 1024
MAX_FILE_NAME_LENGTH = 200
# How many `-N` suffixes a download tries before it gives up on a name.
MAX_NAME_SUFFIX = 10_000


def is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def needs_upload(value: object) -> bool:
    """Return whether `value` names a local file, not an uploaded file_path or a URL that the server fetches."""
    if isinstance(value, str):
        return not (is_url(value) or value.startswith(ASSET_PREFIX))
    return value is not None


def local_file_name(file: FileInput) -> str:
    """Return the path of a local file, or the name of an open file object, to show in messages."""
    if isinstance(file, (str, os.PathLike)):
        return os.fspath(file)
    return str(getattr(file, "name", "an unnamed file object"))


@dataclass
class UploadSource:
    """A local file to upload: a path, or an open binary file that is read from its start."""

    path: Path | None
    handle: IO[bytes] | None
    extension: str
    size_bytes: int

    @classmethod
    def from_input(cls, file: FileInput, extension: str | None = None) -> "UploadSource":
        if isinstance(file, (str, os.PathLike)):
            path = Path(file)
            if not path.is_file():
                raise FileNotFoundError(f"cannot upload {str(path)!r}: no such file")
            return cls(path, None, _image_extension(extension or path.suffix, path.name), path.stat().st_size)

        name = getattr(file, "name", None)
        if extension is None and not isinstance(name, str):
            raise ValueError(
                "the image type of a file object without a name is unknown: pass extension='png' or similar"
            )
        return cls(
            None, file, _image_extension(extension or Path(name).suffix, str(name)), _stream_size(file)
        )

    def chunks(self) -> Iterator[bytes]:
        """Yield the file's bytes from the start; every call starts over, so a retry sends the whole file.

        An open file is left at the position it had before.
        """
        if self.path is not None:
            with self.path.open("rb") as handle:
                yield from iter(lambda: handle.read(CHUNK_BYTES), b"")
            return
        assert self.handle is not None
        position = self.handle.tell()
        self.handle.seek(0)
        try:
            yield from iter(lambda: self.handle.read(CHUNK_BYTES), b"")
        finally:
            self.handle.seek(position)

    async def async_chunks(self) -> AsyncIterator[bytes]:
        # NOTE: reads block the event loop for one chunk at a time; a local disk read of 1 MiB is short.
        for chunk in self.chunks():
            yield chunk

    def put_headers(self) -> dict[str, str]:
        return {"Content-Length": str(self.size_bytes)}


def _stream_size(file: IO[bytes]) -> int:
    """Return the size of a seekable binary file, and leave its position where it was."""
    try:
        position = file.tell()
        size_bytes = file.seek(0, os.SEEK_END)
        file.seek(position)
    except (OSError, AttributeError) as error:
        raise ValueError(
            f"cannot upload a file object that does not support seek ({error}): pass a path"
        ) from None
    return size_bytes


def _image_extension(suffix: str, name: str) -> str:
    extension = suffix.lower().lstrip(".")
    if extension not in IMAGE_EXTENSIONS:
        shown = f"extension {extension!r}" if extension else "no extension"
        raise ValueError(
            f"cannot upload {name!r}: {shown} is not an image type the server accepts; "
            f"use one of {', '.join(IMAGE_EXTENSIONS)}"
        )
    return extension


def upload_urls_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the upload-urls body; an item may spell `type` as `type_`, as in the official SDK's TypedDict."""
    return {
        "items": [
            {"type": item.get("type", item.get("type_")), "extension": item["extension"]} for item in items
        ]
    }


class Files:
    """`client.v1.files`: upload local files and get the `file_path` that tool requests take."""

    def __init__(self, transport: SyncTransport):
        self._transport = transport
        self.upload_urls = UploadUrls(transport)

    def upload_file(self, file: FileInput, *, extension: str | None = None) -> str:
        """Upload a local file and return its `file_path` (`api-assets/...`).

        `file` is a path or an open binary file. A URL or a string that already starts with
        `api-assets/` is returned unchanged, as in the official SDK. `extension` overrides the type
        guessed from the file name.
        """
        if not needs_upload(file):
            return file  # type: ignore[return-value]
        source = UploadSource.from_input(file, extension)
        item = self.upload_urls.create(items=[{"type": "image", "extension": source.extension}]).items[0]
        self._transport.send(
            lambda: self._transport.http.build_request(
                "PUT", item.upload_url, content=source.chunks(), headers=source.put_headers()
            )
        )
        return item.file_path


class AsyncFiles:
    """`client.v1.files` of the AsyncClient."""

    def __init__(self, transport: AsyncTransport):
        self._transport = transport
        self.upload_urls = AsyncUploadUrls(transport)

    async def upload_file(self, file: FileInput, *, extension: str | None = None) -> str:
        """Upload a local file and return its `file_path`; see Files.upload_file."""
        if not needs_upload(file):
            return file  # type: ignore[return-value]
        source = UploadSource.from_input(file, extension)
        response = await self.upload_urls.create(items=[{"type": "image", "extension": source.extension}])
        item = response.items[0]
        await self._transport.send(
            lambda: self._transport.http.build_request(
                "PUT", item.upload_url, content=source.async_chunks(), headers=source.put_headers()
            )
        )
        return item.file_path


class UploadUrls:
    """`client.v1.files.upload_urls`: `POST /v1/files/upload-urls`."""

    def __init__(self, transport: SyncTransport):
        self._transport = transport

    def create(
        self, *, items: list[dict[str, Any]], request_options: dict[str, Any] | None = None
    ) -> UploadUrlsResponse:
        response = self._transport.request(
            "POST",
            "/v1/files/upload-urls",
            json=upload_urls_body(items),
            request_options=request_options,
            retry_safe=True,
        )
        return UploadUrlsResponse.model_validate(response.json())


class AsyncUploadUrls:
    def __init__(self, transport: AsyncTransport):
        self._transport = transport

    async def create(
        self, *, items: list[dict[str, Any]], request_options: dict[str, Any] | None = None
    ) -> UploadUrlsResponse:
        response = await self._transport.request(
            "POST",
            "/v1/files/upload-urls",
            json=upload_urls_body(items),
            request_options=request_options,
            retry_safe=True,
        )
        return UploadUrlsResponse.model_validate(response.json())


def download_name(url: str, fallback: str) -> str:
    """Return the file name that a download URL's path ends with, or `fallback` when it is unusable."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    unusable = (
        not name or name.startswith(".") or "\\" in name or "\x00" in name or len(name) > MAX_FILE_NAME_LENGTH
    )
    return fallback if unusable else name


def open_unique(directory: Path, name: str) -> tuple[Path, BinaryIO]:
    """Create a new file in `directory` named `name`, or `stem-N.ext` when that name is taken."""
    directory.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    for number in range(MAX_NAME_SUFFIX):
        path = directory / (name if number == 0 else f"{stem}-{number}{suffix}")
        try:
            return path, path.open("xb")
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory / name} and {MAX_NAME_SUFFIX - 1} numbered variants already exist")


def _download_request(transport: SyncTransport | AsyncTransport, url: str) -> httpx.Request:
    return transport.http.build_request("GET", url)


def download_files(
    transport: SyncTransport, urls: list[str], directory: str | os.PathLike[str] | None, fallback_stem: str
) -> list[str]:
    """Stream each URL to a new file in `directory` (default: the current folder); return the paths."""
    folder = Path(directory) if directory is not None else Path.cwd()
    paths = []
    for index, url in enumerate(urls):
        name = download_name(url, f"{fallback_stem}-{index}.png")

        def save(response: httpx.Response, name: str = name) -> Path:
            path, handle = open_unique(folder, name)
            try:
                with handle:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        handle.write(chunk)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path

        paths.append(str(transport.send(lambda url=url: _download_request(transport, url), consume=save)))
    return paths


async def async_download_files(
    transport: AsyncTransport, urls: list[str], directory: str | os.PathLike[str] | None, fallback_stem: str
) -> list[str]:
    """Stream each URL to a new file in `directory`; see download_files."""
    folder = Path(directory) if directory is not None else Path.cwd()
    paths = []
    for index, url in enumerate(urls):
        name = download_name(url, f"{fallback_stem}-{index}.png")

        async def save(response: httpx.Response, name: str = name) -> Path:
            path, handle = open_unique(folder, name)
            try:
                with handle:
                    async for chunk in response.aiter_bytes(CHUNK_BYTES):
                        handle.write(chunk)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path

        paths.append(
            str(await transport.send(lambda url=url: _download_request(transport, url), consume=save))
        )
    return paths
