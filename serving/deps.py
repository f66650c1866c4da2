"""FastAPI dependencies: the services built once in the lifespan, and the caller's identity."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request

from serving.errors import ApiError
from serving.services import Services


async def get_services(request: Request) -> Services:
    """Async on purpose (as is ``current_user``): a sync dependency costs a threadpool hop."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def parse_keys(raw: str) -> dict[str, str]:
    """`ORDERSIGHT_API_KEYS` entries are `key` or `user=key`; returns key → user name."""
    keys: dict[str, str] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        user, _, key = entry.rpartition("=")
        keys[key] = user or f"key-{key[:4]}"
    return keys


async def current_user(request: Request, services: ServicesDep) -> str:
    """Who is calling: the user the API key belongs to (`X-API-Key` or `Authorization: Bearer`).

    With auth off (no keys configured) the optional `X-User` header names the caller.
    """
    keys = services.api_keys
    if not keys:
        # percent-encoded by the pages: header values are Latin-1, people's names often are not
        return unquote(request.headers.get("x-user", "")).strip()[:128] or "anonymous"
    user = key_user(keys, request.headers.get("x-api-key"), request.headers.get("authorization"))
    if user is None:
        raise ApiError(401, "unauthorized", "missing or invalid API key (X-API-Key header)")
    return user


def key_user(keys: dict[str, str], api_key: str | None, authorization: str | None) -> str | None:
    """The user whose key the caller sent (`X-API-Key`, else `Authorization: Bearer`), or None."""
    if not api_key and authorization and authorization.lower().startswith("bearer "):
        api_key = authorization[7:].strip()
    return keys.get(api_key) if api_key else None


UserDep = Annotated[str, Depends(current_user)]
