"""trusted(): the scorer's unvalidated construction must equal what validation would build."""

from __future__ import annotations

import pytest

from ordersight.schema import Evidence, Issue, trusted

VALUES = {
    "type": "price",
    "code": "PRICE_BELOW_FLOOR",
    "score": 0.97,
    "scored_by": "model",
    "message": "unit price below the SKU's floor",
    "suggestion": None,
    "evidence": [Evidence(feature="unit_over_floor_min", contribution=2.5)],
}


def test_trusted_equals_the_validated_model():
    built = trusted(Issue, **VALUES)
    validated = Issue(**VALUES)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()


def test_trusted_names_a_missing_field():
    values = {k: v for k, v in VALUES.items() if k != "evidence"}
    with pytest.raises(TypeError, match="evidence"):
        trusted(Issue, **values)
