"""AddressDefectModel: P(an address needs a person) and which ADDR_* code, over parser features.

It is the shared :class:`models.tabular.IssueModel` (binary booster, isotonic calibration on a
held-back fold, multiclass P(code | issue), LightGBM text files + JSON, no pickle) fixed to the
address feature frame (:func:`features.address.address_feature_frame` turns raw addresses into
it, for training and serving alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from features.address import FEATURES, address_feature_frame
from models.tabular import FeatureData, IssueModel, feature_matrix

__all__ = ["AddressDefectModel"]

UNPARSEABLE = "ADDR_UNPARSEABLE"


@dataclass
class AddressDefectModel(IssueModel):
    """IssueModel for ``address`` over :data:`features.address.FEATURES`."""

    issue_type: str = "address"
    feature_names: list[str] = field(default_factory=lambda: list(FEATURES))
    # The features are a function of the address and phone alone, and customers reorder to the
    # same door: a flagged address comes back, and its evidence with it (more often than an
    # order row: the memo is larger)
    EXPLAIN_MEMO: ClassVar[int] = 16_384

    def code_matrix(self, x: np.ndarray, score: np.ndarray) -> np.ndarray:
        """As :meth:`IssueModel.code_matrix`, but the code is one of the defects the parser raised,
        where it raised any: the parser read the address, and the model weighs which of its
        defects matters. Left free, the code head called typos on typed addresses from elsewhere
        that the parser read as a district written short or missing (深圳南山科技园…,
        上海市延安中路…: 40 of 541 flagged company addresses, against 7 of 1,750 flagged held-out
        demo orders), and a typo holds where a short name sends to review. ADDR_UNPARSEABLE is
        never a code where the parser read a region (a short district alone, 萧山 宁围街道…, was
        once called unparseable, and its suggestion lost)."""
        out = super().code_matrix(x, score)
        raised = x[:, [self.feature_names.index(f"parser_{code}") for code in self.codes]] > 0
        some = raised.any(axis=1)
        out[some] *= raised[some]
        if UNPARSEABLE in self.codes:
            read = x[:, self.feature_names.index("has_adcode")] > 0
            out[read, self.codes.index(UNPARSEABLE)] = 0.0
        return out

    def required_missing(self, frame: FeatureData) -> np.ndarray:
        """As :meth:`IssueModel.required_missing`, and where the parser read a place the model
        never saw (Hong Kong, Macao, Taiwan: :mod:`features.address_outside`), whose row it left
        without the region features: the rules score those, on the parser's own defects."""
        return (
            super().required_missing(frame)
            | np.isnan(feature_matrix(frame, ["confidence"])).ravel()
        )

    def predict_texts(
        self, texts: Sequence[str], phones: Sequence[str | None] | None = None
    ) -> pd.DataFrame:
        """Convenience for callers holding raw addresses rather than a feature frame."""
        return self.predict_frame(address_feature_frame(texts, phones))
