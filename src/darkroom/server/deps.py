"""Dependencies shared by the routes: the runtime, the caller's account, and the public base URL."""

import threading
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from darkroom.errors import InvalidInput, Unauthorized
from darkroom.projects import accounts
from darkroom.runtime import Runtime

# Seconds an API key lookup is remembered. A revoked key keeps working for at most this long.
KEY_CACHE_TTL_S = 10.0
KEY_CACHE_MAX_ENTRIES = 10_000

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")


@dataclass(frozen=True)
class Caller:
    account_id: str
    name: str


class KeyCache:
    """Remembers which account an API key belongs to, so polling clients do not hash-and-query every time."""

    def __init__(self, ttl_s: float = KEY_CACHE_TTL_S):
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, api_key: str) -> Caller | None:
        entry = self._entries.get(api_key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, api_key: str, caller: Caller) -> None:
        with self._lock:
            if len(self._entries) >= KEY_CACHE_MAX_ENTRIES:
                self._entries.clear()
            self._entries[api_key] = (time.monotonic() + self.ttl_s, caller)


# The dependencies are `async def` although they barely await: FastAPI runs a plain `def`
# dependency in its thread pool, and those thread hand-offs cost more than the work itself.


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def current_caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    """Return the account of the request's API key, or raise Unauthorized."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized()
    api_key = credentials.credentials
    cache: KeyCache = request.app.state.key_cache
    caller = cache.get(api_key)
    if caller is None:
        account = await run_in_threadpool(accounts.account_for_key, request.app.state.runtime.db, api_key)
        if account is None:
            raise Unauthorized()
        caller = Caller(account_id=account.id, name=account.name)
        cache.put(api_key, caller)
    return caller


async def reject_unknown_query(request: Request) -> None:
    """Reject query parameters that the route does not declare, as unknown body fields are rejected."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {param.alias for param in _all_query_params(dependant)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise InvalidInput(unknown[0], f"unknown query parameter {unknown[0]!r}; this endpoint takes "
                           f"{', '.join(sorted(known)) or 'none'}")


def _all_query_params(dependant):
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _all_query_params(sub)


async def base_url(request: Request) -> str:
    """Return the URL clients reach this server at: DARKROOM_PUBLIC_URL, else the request's own."""
    configured = request.app.state.runtime.settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")
