"""The unified order (CONTRACT §2) and the scoring result (CONTRACT §3) as pydantic v2 models."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ordersight.address_fields import joined, with_raw
from ordersight.codes import IssueType

CHINA = timezone(timedelta(hours=8))
Channel = str  # unknown channels are allowed; adapters ship for KNOWN_CHANNELS
KNOWN_CHANNELS: tuple[str, ...] = (
    "own_app",
    "own_mini",
    "tmall",
    "jd",
    "douyin",
    "pdd",
    "kuaishou",
    "xiaohongshu",
    "offline_pos",
)
# how other systems name the same channels: case, spacing, domains and Chinese names
CHANNEL_ALIASES: dict[str, str] = {
    **dict.fromkeys(("app", "own", "官方app", "品牌app", "自有app", "官网"), "own_app"),
    **dict.fromkeys(
        ("mini", "mini_program", "miniprogram", "weapp", "小程序", "微信小程序"), "own_mini"
    ),
    **dict.fromkeys(("天猫", "天猫旗舰店", "tmall.com", "tm"), "tmall"),
    **dict.fromkeys(("京东", "jd.com", "jingdong", "京东自营", "京东pop"), "jd"),
    **dict.fromkeys(("抖音", "抖店", "抖音小店", "dy"), "douyin"),
    **dict.fromkeys(("拼多多", "pinduoduo", "pdd.com"), "pdd"),
    **dict.fromkeys(("快手", "快手小店", "kwai", "ks"), "kuaishou"),
    **dict.fromkeys(("小红书", "xhs", "red", "rednote"), "xiaohongshu"),
    **dict.fromkeys(("门店", "线下", "线下门店", "pos", "store", "offline"), "offline_pos"),
}
# a day as exports and spreadsheets write it: 2025/1/5, 2025.1.5, 2025年1月5日
DAY_FIRST = re.compile(r"^(\d{4})[/.年](\d{1,2})[/.月](\d{1,2})日?")
_SPACING = re.compile(r"[\s\-]+")


def dashed_day(match: re.Match[str]) -> str:
    """A :data:`DAY_FIRST` match as an ISO day (2025-01-05), for ``re.sub``."""
    y, mo, d = match.groups()
    return f"{y}-{int(mo):02d}-{int(d):02d}"


def name_key(text: str) -> str:
    """A name as the schema spells keys: ' List Price', 'list-price' → list_price."""
    return _SPACING.sub("_", text.strip().lower())


class OrderAddress(BaseModel):
    """The address as the channel gave it: one raw string, split fields, or both."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    raw: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    detail: str | None = None
    receiver: str | None = None
    phone: str | None = None

    @model_validator(mode="after")
    def _something_to_parse(self) -> OrderAddress:
        if not any((self.raw, self.province, self.city, self.district, self.detail)):
            raise ValueError("address needs 'raw' or at least one structured field")
        return self

    def text(self) -> str:
        """One string for the parser: raw when given (behind the region fields it does not start
        with, unless it names one further on), else the split fields joined, each level once
        where the detail repeats them (:mod:`ordersight.address_fields`)."""
        if self.raw:
            return with_raw(self.raw, self.province, self.city, self.district)
        return joined(self.province, self.city, self.district, self.detail)


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    sku: str = Field(min_length=1, max_length=128)
    qty: int = Field(ge=1, le=10_000)
    unit_price: float = Field(ge=0)
    list_price: float | None = Field(default=None, ge=0)
    # a free gift (赠品) or a token-price add-on the shop gives away: its stock is checked, its
    # price is not; a zero-price line beside a paid one is taken as a gift even unmarked
    gift: bool = False


class Order(BaseModel):
    """One order in the unified shape every channel adapter produces. Identifiers, phones and
    SKUs written as JSON numbers (300000000001, 13800138000, a barcode SKU), as other systems'
    exports often do, are read as the strings they are."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    order_id: str = Field(min_length=1, max_length=128)
    channel: Channel = Field(min_length=1, max_length=64)
    created_at: datetime
    customer_id: str | None = None
    address: OrderAddress
    warehouse_id: str | None = None
    lines: list[OrderLine] = Field(min_length=1, max_length=500)
    paid_amount: float | None = Field(default=None, ge=0)
    discount_amount: float | None = Field(default=None, ge=0)
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("channel", mode="before")
    @classmethod
    def _known_channel(cls, value: Any) -> Any:
        """'Tmall', 'JD.com', '京东' are the shipped channels, not unknown ones sent to review."""
        if not isinstance(value, str) or value in KNOWN_CHANNELS:
            return value
        key = name_key(value)
        return key if key in KNOWN_CHANNELS else CHANNEL_ALIASES.get(key, value)

    @field_validator("created_at", mode="before")
    @classmethod
    def _dashed_day(cls, value: Any) -> Any:
        """2025/1/5 10:00 and 2025年1月5日 as ISO days (what exports and spreadsheets write)."""
        if isinstance(value, str) and DAY_FIRST.match(value.strip()):
            return DAY_FIRST.sub(dashed_day, value.strip())
        return value

    @field_validator("created_at")
    @classmethod
    def _china_time(cls, value: datetime) -> datetime:
        """A time in another zone (an epoch, …Z) as China time, the zone the order's day, its
        festival window and a baby's age in months are counted in; a naive time already is."""
        if value.tzinfo is None:
            return value
        try:
            return value.astimezone(CHINA)
        except OverflowError:  # 9999-12-31T23:59-05:00 has no China time
            raise ValueError("out of the range of dates") from None


class Candidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    province: str | None = None
    city: str | None = None
    district: str | None = None
    adcode: str | None = None
    score: float


class ParsedAddress(BaseModel):
    """Standardised address (CONTRACT §3 `address`) plus the defects the parser found.

    Immutable: the parser caches one per distinct (address, phone) and every order and result
    with that address shares it, so nothing handed out can change the cache.
    """

    model_config = ConfigDict(frozen=True)

    province: str | None = None
    city: str | None = None
    district: str | None = None
    adcode: str | None = None
    detail: str | None = None
    confidence: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    defects: tuple[str, ...] = ()
    standardized: str | None = None


class Suggestion(BaseModel):
    field: str
    value: Any


class Evidence(BaseModel):
    feature: str
    contribution: float


class Issue(BaseModel):
    type: IssueType
    code: str
    score: float
    scored_by: Literal["model", "rules"]
    message: str
    suggestion: Suggestion | None = None
    evidence: list[Evidence] = Field(default_factory=list)


Action = Literal["pass", "review", "hold"]


class ScoreResult(BaseModel):
    order_id: str
    action: Action
    risk: float
    issues: list[Issue] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict)
    scored_by: dict[str, Literal["model", "rules"]] = Field(default_factory=dict)
    address: ParsedAddress | None = None
    model_versions: dict[str, str] = Field(default_factory=dict)
    rules_version: str = ""
    latency_ms: float = 0.0
    # what the order models read when the order went to a person (type → model version and
    # feature values), stored with its decision so reviewers' verdicts become training rows as
    # the order was scored; never part of the response
    _model_inputs: dict[str, Any] | None = PrivateAttr(default=None)


M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[M], **values: Any) -> M:
    """``cls`` from values the scorer computed itself, every field given, not validated again.

    pydantic's ``model_construct`` walks the field defaults on each call (~3 µs) and, for a field
    left to a ``default_factory``, inspects the factory's signature (~250 µs); the order path
    builds a dozen of these per order.
    """
    if values.keys() != cls.__pydantic_fields__.keys():
        missing = set(cls.__pydantic_fields__) ^ set(values)
        raise TypeError(f"{cls.__name__}: fields missing or unknown: {sorted(missing)}")
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    private = _private_defaults(cls) if cls.__private_attributes__ else None
    _set(obj, "__pydantic_private__", dict(private) if private is not None else None)
    return obj


@functools.cache
def _private_defaults(cls: type[BaseModel]) -> dict[str, Any]:
    """A model's private attributes at their defaults (read once: pydantic copies each default)."""
    return {name: attr.get_default() for name, attr in cls.__private_attributes__.items()}
