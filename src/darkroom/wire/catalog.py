"""The tool listing of `GET /v1/tools`: which tools this server has enabled, and their prices."""

from typing import Any

from pydantic import BaseModel, Field


class PriceInfo(BaseModel):
    """One row of a tool's price table: `credits` for each `per` ("project" or "image") with these options."""

    credits: int
    per: str
    # The request fields this price applies to; empty for a flat price.
    options: dict[str, Any] = Field(default_factory=dict)


class ToolInfo(BaseModel):
    """A tool as `GET /v1/tools` lists it: whether this server has it enabled, and its price."""

    slug: str
    endpoint: str
    type: str
    enabled: bool
    price: str
    prices: list[PriceInfo] = Field(default_factory=list)
    # The model file this tool renders with here; None for the built-in renderer.
    model_file: str | None = None
    disabled_reason: str | None = None
    notes: str = ""


class ToolList(BaseModel):
    data: list[ToolInfo]
