"""Tool endpoints (`POST /v1/<tool>`), made from the tool registry, and `GET /v1/tools`."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header

from darkroom.errors import InvalidInput, ToolDisabled
from darkroom.renderers.registry import TOOLS, ToolSpec
from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, current_caller, get_runtime
from darkroom.wire.catalog import PriceInfo, ToolInfo, ToolList
from darkroom.wire.projects import CreateResponse

router = APIRouter(tags=["tools"])

MAX_IDEMPOTENCY_KEY_LENGTH = 255




def check_enabled(tool: ToolSpec, runtime: Runtime) -> None:
    reason = tool.disabled_reason(runtime.models)
    if reason is not None:
        raise ToolDisabled(reason)


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidInput("Idempotency-Key", f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    return key


def _create_endpoint(tool: ToolSpec):
    def create(
        body: Annotated[tool.request_model, Body()],
        caller: Caller = Depends(current_caller),
        runtime: Runtime = Depends(get_runtime),
        idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
    ) -> CreateResponse:
        check_enabled(tool, runtime)
        created = runtime.projects.create(
            caller.account_id, tool, body, idempotency_key=check_idempotency_key(idempotency_key)
        )
        project = created.project
        return CreateResponse(id=project.id, credits_charged=project.credits_charged, frame_cost=project.credits_charged)

    create.__name__ = f"create_{tool.slug.replace('-', '_')}"
    create.__doc__ = f"Create a {tool.project_type} project. {tool.price_text}"
    return create


for _tool in TOOLS.values():
    if _tool.kind == "image":
        router.add_api_route(
            f"/v1/{_tool.slug}", _create_endpoint(_tool), methods=["POST"], response_model=CreateResponse,
            summary=_tool.title,
        )


@router.get("/v1/tools", response_model=ToolList)
def list_tools(caller: Caller = Depends(current_caller), runtime: Runtime = Depends(get_runtime)) -> ToolList:
    return ToolList(data=[_tool_info(tool, runtime) for tool in TOOLS.values()])


def _tool_info(tool: ToolSpec, runtime: Runtime) -> ToolInfo:
    reason = tool.disabled_reason(runtime.models)
    return ToolInfo(
        slug=tool.slug,
        endpoint=f"/v1/{tool.slug}",
        type=tool.project_type,
        enabled=reason is None,
        price=tool.price_text,
        prices=[PriceInfo(credits=entry.credits, per=entry.per, options=entry.options) for entry in tool.prices],
        model_file=tool.model_file(runtime.models),
        disabled_reason=reason,
        notes=tool.notes,
    )
