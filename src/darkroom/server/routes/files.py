"""`POST /v1/files/upload-urls`: hand out signed upload URLs and the file paths that name the uploads."""

from fastapi import APIRouter, Depends

from darkroom.ids import new_cuid
from darkroom.projects.inputs import ASSET_PREFIX
from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, base_url, current_caller, get_runtime
from darkroom.store.models import Asset
from darkroom.wire.files import UploadUrlItem, UploadUrlsRequest, UploadUrlsResponse
from darkroom.wire.projects import format_timestamp

router = APIRouter(prefix="/v1/files", tags=["files"])


@router.post("/upload-urls", response_model=UploadUrlsResponse)
def create_upload_urls(
    body: UploadUrlsRequest,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> UploadUrlsResponse:
    paths = [f"{ASSET_PREFIX}{new_cuid()}.{item.extension}" for item in body.items]
    with runtime.db.write() as session:
        session.add_all(Asset(path=path, account_id=caller.account_id, source="upload") for path in paths)

    items = []
    for path in paths:
        signed = runtime.storage.upload_url(path, public_url, runtime.settings.upload_url_ttl_s)
        items.append(UploadUrlItem(upload_url=signed.url, expires_at=format_timestamp(signed.expires_at), file_path=path))
    return UploadUrlsResponse(items=items)
