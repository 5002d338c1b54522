"""`GET /v1/account`: the caller's account and credit balance, in Magic Hour's shape."""

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from darkroom.projects import accounts
from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, current_caller, get_runtime

router = APIRouter(prefix="/v1/account", tags=["account"])


class AccountInfo(BaseModel):
    id: str
    name: str
    credits: int
    email: str | None = None
    subscription: None = None
    # Darkroom has no tiers. "business" is the tier that SDK code checking it treats as having every option.
    tier: str = "business"


@router.get("", response_model=AccountInfo)
def get_account(caller: Caller = Depends(current_caller), runtime: Runtime = Depends(get_runtime)) -> AccountInfo:
    return AccountInfo(id=caller.account_id, name=caller.name, credits=accounts.balance(runtime.db, caller.account_id))
