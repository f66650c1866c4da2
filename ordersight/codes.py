"""The stable issue codes (CONTRACT §3). Generator labels, models, rules and the API share them."""

from __future__ import annotations

from typing import Literal

IssueType = Literal["address", "stock", "price", "format", "compliance", "duplicate"]
ISSUE_TYPES: tuple[IssueType, ...] = (
    "address",
    "stock",
    "price",
    "format",
    "compliance",
    "duplicate",
)
MODEL_TYPES: tuple[IssueType, ...] = ("address", "stock", "price")
# the models of an order's lines (read from its feature frame, not from its address text)
ORDER_MODEL_TYPES: tuple[IssueType, ...] = ("stock", "price")

PREFIX: dict[str, IssueType] = {
    "ADDR": "address",
    "STOCK": "stock",
    "PRICE": "price",
    "FMT": "format",
    "COMPLIANCE": "compliance",
    "DUP": "duplicate",
}

CODES: dict[str, str] = {
    # address
    "ADDR_MISSING_LEVEL": (
        "District, or the city above an urban district, missing; completed from the gazetteer"
    ),
    "ADDR_NONSTANDARD_NAME": "Region written without its suffix or as a short form",
    "ADDR_TYPO": "A region name has a typo or a sound-alike character",
    "ADDR_FORMER_NAME": "A region is written by a former name",
    "ADDR_REGION_CONFLICT": "The named levels do not belong together (district not in city)",
    "ADDR_AMBIGUOUS": "A region name exists in several places and the rest does not decide",
    "ADDR_REDUNDANT": "Levels repeated or written twice",
    "ADDR_DETAIL_MISSING": "No usable street / building detail after the region",
    "ADDR_BAD_PHONE": "Receiver phone is not a valid mainland mobile or landline number",
    "ADDR_UNPARSEABLE": "No region could be recognised",
    # stock
    "STOCK_INSUFFICIENT": "Ordered more than is available at the sourcing warehouse",
    "STOCK_RESERVED": "Stock is on hand but reserved for other orders",
    "STOCK_OVERSELL_RISK": "Flash-sale demand is outrunning available stock",
    # price
    "PRICE_BELOW_FLOOR": "Unit price below the SKU's price floor",
    "PRICE_BELOW_COST": "Unit price below the SKU's cost",
    "PRICE_UNIT_ERROR": "Amount looks typed in the wrong unit (fen as yuan or yuan as fen)",
    "PRICE_CATALOG_MISMATCH": "List price on the order differs from the catalog",
    "PRICE_TOTAL_MISMATCH": "Paid amount does not equal lines minus discounts",
    "PRICE_STACKED_DISCOUNT": "Discounts stacked beyond what the channel allows",
    # format
    "FMT_MISSING_FIELD": "A required field is missing or empty",
    "FMT_INVALID_VALUE": "A field has a value outside its allowed range",
    "FMT_UNKNOWN_SKU": "A line's SKU is not in the catalog",
    "FMT_UNKNOWN_WAREHOUSE": "The order names a warehouse that does not exist",
    # compliance
    "COMPLIANCE_FORMULA_STAGE": "Infant-formula stage does not fit the declared baby age",
    "COMPLIANCE_QTY_LIMIT": "Quantity over the per-order limit for the SKU",
    "COMPLIANCE_RESTRICTED_REGION": "The SKU may not be shipped to this region",
    # duplicate
    "DUP_CROSS_CHANNEL": "Same customer, address and lines already ordered on another channel",
    "DUP_SAME_CHANNEL": "Same customer, address and lines ordered twice on one channel",
}


# The correction each code's issue suggests: the suggestion's field, and its value; "none" where
# no order holds it (only the buyer knows). Served at GET /v1/codes; the README lists the same.
CORRECTIONS: dict[str, str] = {
    "ADDR_MISSING_LEVEL": "address: completed, in standard form",
    "ADDR_NONSTANDARD_NAME": "address: the standard names",
    "ADDR_TYPO": "address: the names as meant",
    "ADDR_FORMER_NAME": "address: today's names",
    "ADDR_REGION_CONFLICT": (
        "address: the reading most levels agree on; two counties of one city: the city and "
        "its choices"
    ),
    "ADDR_AMBIGUOUS": "address: the likeliest reading, else the levels all share and the choices",
    "ADDR_REDUNDANT": "address: each level once",
    "ADDR_DETAIL_MISSING": "none: only the buyer knows the door",
    "ADDR_BAD_PHONE": (
        "address.phone: letters read as the digits they look like, or a valid number in the "
        "address text; else none"
    ),
    "ADDR_UNPARSEABLE": "none: no region is named",
    "STOCK_INSUFFICIENT": "warehouse_id that can ship every line, else a split {sku: warehouse}",
    "STOCK_RESERVED": "as STOCK_INSUFFICIENT",
    "STOCK_OVERSELL_RISK": "as STOCK_INSUFFICIENT",
    "PRICE_BELOW_FLOOR": "lines[i].unit_price: the floor",
    "PRICE_BELOW_COST": "lines[i].unit_price: the cost",
    "PRICE_UNIT_ERROR": "lines[i].unit_price without the slipped powers of ten, or paid_amount",
    "PRICE_CATALOG_MISMATCH": "lines[i].list_price: the catalog's",
    "PRICE_TOTAL_MISMATCH": "paid_amount: lines less discounts plus shipping",
    "PRICE_STACKED_DISCOUNT": "paid_amount: what the lines and discounts make",
    "FMT_MISSING_FIELD": "paid_amount: what the lines and discounts make",
    "FMT_INVALID_VALUE": "none: check the channel's mapping",
    "FMT_UNKNOWN_SKU": (
        "lines[i].sku: the catalog SKU it differs from only by separators and case, or clearly "
        "closest to (a slip); none for a new product"
    ),
    "FMT_UNKNOWN_WAREHOUSE": "warehouse_id: the warehouse that would ship it",
    "COMPLIANCE_FORMULA_STAGE": (
        "lines[i].sku: the same formula at the stage for the age, where the catalog sells it"
    ),
    "COMPLIANCE_QTY_LIMIT": "lines[i].qty: less the units over the limit",
    "COMPLIANCE_RESTRICTED_REGION": "none",
    "DUP_CROSS_CHANNEL": "duplicate_of: the order it repeats",
    "DUP_SAME_CHANNEL": "duplicate_of: the order it repeats",
}


def type_of(code: str) -> IssueType:
    """The issue type a code belongs to, from its prefix."""
    return PREFIX[code.split("_", 1)[0]]


def codes_of(issue_type: IssueType) -> list[str]:
    return [c for c in CODES if type_of(c) == issue_type]
