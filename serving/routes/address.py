"""Address parsing: one raw string or a list of them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from features.address import parse_addresses
from ordersight.schema import ParsedAddress
from serving.deps import UserDep

router = APIRouter(prefix="/v1/address", tags=["address"])


class ParseRequest(BaseModel):
    raw: str | None = Field(default=None, min_length=1, max_length=500)
    phone: str | None = None
    items: list[str] | None = Field(default=None, min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _one_of(self) -> ParseRequest:
        if (self.raw is None) == (self.items is None):
            raise ValueError("give exactly one of 'raw' or 'items'")
        return self


class ParseItemsResponse(BaseModel):
    items: list[ParsedAddress]


@router.post("/parse", response_model=ParsedAddress | ParseItemsResponse)
def parse(body: ParseRequest, _: UserDep) -> ParsedAddress | ParseItemsResponse:
    if body.raw is not None:
        return parse_addresses([body.raw], [body.phone])[0]
    return ParseItemsResponse(items=parse_addresses(body.items or []))
