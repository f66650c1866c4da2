"""Evidence memo (IssueModel.EXPLAIN_MEMO): a repeated row gets its evidence without TreeSHAP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import lightgbm as lgb
import numpy as np
import pytest

from models.address import AddressDefectModel
from models.tabular import IssueModel


@dataclass
class _MemoModel(IssueModel):
    EXPLAIN_MEMO: ClassVar[int] = 8


def _fitted(cls: type[IssueModel]) -> IssueModel:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] - x[:, 2] > 0.5).astype(int)
    booster = lgb.train({"objective": "binary", "verbose": -1, "seed": 1}, lgb.Dataset(x, y), 30)
    return cls(issue_type="price", feature_names=["a", "b", "c", "d"], binary=booster)


def _rows(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def test_a_repeated_row_is_looked_up_and_equals_a_fresh_explanation(monkeypatch) -> None:
    model, fresh = _fitted(_MemoModel), _fitted(_MemoModel)
    x = _rows(1, 5)
    first = model.explain_matrix(x)
    assert first == fresh.explain_matrix(x)

    def no_treeshap(*args, **kwargs):
        raise AssertionError("TreeSHAP ran for a row explained before")

    monkeypatch.setattr(model.binary, "predict", no_treeshap)
    assert model.explain_matrix(x[[3, 0, 3]]) == [first[3], first[0], first[3]]
    with pytest.raises(AssertionError, match="TreeSHAP ran"):
        model.explain_matrix(_rows(2, 1))  # an unseen row is explained, not guessed


def test_the_memo_stays_within_its_size_and_answers_stay_right() -> None:
    model, fresh = _fitted(_MemoModel), _fitted(_MemoModel)
    for seed in range(6):
        x = _rows(seed, 3)
        assert model.explain_matrix(x) == fresh.explain_matrix(x)
        assert len(model._explained[3]) <= _MemoModel.EXPLAIN_MEMO


def test_the_order_models_keep_explanations_too(monkeypatch) -> None:
    """An order sent again or a listing priced wrong for every buyer gives the same price row:
    its evidence is looked up (the address model keeps more: addresses repeat more)."""
    assert AddressDefectModel.EXPLAIN_MEMO > IssueModel.EXPLAIN_MEMO > 0
    model = _fitted(IssueModel)
    first = model.explain_matrix(_rows(1, 4))

    def no_treeshap(*args, **kwargs):
        raise AssertionError("TreeSHAP ran for a row explained before")

    monkeypatch.setattr(model.binary, "predict", no_treeshap)
    assert model.explain_matrix(_rows(1, 4)) == first
