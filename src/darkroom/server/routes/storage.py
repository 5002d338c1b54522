"""Signed file URLs of local storage: `PUT /v1/uploads/{key}` and `GET /v1/storage/{key}`.

They need no API key: the HMAC signature in the query string is the permission, and it expires.
S3 storage hands out presigned S3 URLs instead, and these routes then return 404.
"""

import mimetypes
import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from darkroom.errors import NotFound, PayloadTooLarge
from darkroom.runtime import Runtime
from darkroom.server.deps import get_runtime
from darkroom.server.errors import error_response
from darkroom.storage import LocalStorage
from darkroom.storage.base import InvalidKey, check_key
from darkroom.storage.signing import verify
from darkroom.store.models import Asset, utcnow

router = APIRouter(tags=["files"], include_in_schema=False)

FORBIDDEN = "The URL signature is invalid or has expired; request a new URL"


def _local_storage(runtime: Runtime) -> LocalStorage:
    if not isinstance(runtime.storage, LocalStorage):
        raise NotFound("this server stores files in object storage; use the presigned URLs it returns")
    return runtime.storage


def _signature_ok(runtime: Runtime, method: str, key: str, request: Request) -> bool:
    storage = _local_storage(runtime)
    try:
        check_key(key)
    except InvalidKey:
        return False
    query = request.query_params
    return verify(storage.secret, method, key, query.get("expires", ""), query.get("signature", ""))


@router.get("/v1/storage/{key:path}")
def download(key: str, request: Request, runtime: Runtime = Depends(get_runtime)):
    if not _signature_ok(runtime, "GET", key, request):
        return error_response(403, FORBIDDEN)
    path = _local_storage(runtime).path(key)
    if not path.is_file():
        return error_response(404, "This file no longer exists: its project was deleted")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, filename=path.name, content_disposition_type="inline")


@router.put("/v1/uploads/{key:path}")
async def upload(key: str, request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    if not _signature_ok(runtime, "PUT", key, request):
        return error_response(403, FORBIDDEN)
    storage = _local_storage(runtime)
    limit = runtime.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload is {declared} bytes; the limit is {limit} bytes")

    folder = storage.path(key).parent
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False)
    try:
        size = 0
        with handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes")
                handle.write(chunk)
        if size == 0:
            return error_response(422, "The upload is empty: send the file's bytes as the PUT body", field="body")
        os.replace(handle.name, storage.path(key))
    finally:
        Path(handle.name).unlink(missing_ok=True)

    with runtime.db.write() as session:
        asset = session.get(Asset, key)
        if asset is not None:
            asset.size_bytes = size
            asset.uploaded_at = utcnow()
    return Response(status_code=200)
