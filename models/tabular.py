"""IssueModel: one LightGBM model per issue type (stock, price) over the order feature frame.

Two boosters: a binary one for "any issue of this type" (isotonic-calibrated on a later,
held-back fold, so scores are probabilities operations can threshold) and a multiclass one over
the type's codes trained on the positive rows (P(code | issue)). Per-code scores are the product.
Everything fitted travels with the model: feature names, required features, calibration knots,
threshold, codes. Saved as LightGBM model strings plus one JSON; no pickle. A loaded model scores
with its binary booster compiled to native code (:mod:`models.compiled`) where that works.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from models.compiled import Predict, compile_booster

__all__ = ["ExtraRows", "FeatureData", "IssueModel", "best_threshold", "feature_matrix"]

# A feature frame, or the serving path's plain columns (name -> one array per feature).
FeatureData = pd.DataFrame | Mapping[str, np.ndarray]

DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.1,
    "num_leaves": 15,
    "max_depth": 6,  # shallow trees: evidence (TreeSHAP) costs O(depth²) per tree on the order path
    "min_data_in_leaf": 10,
    "max_bin": 1023,  # fine bins: defects sit just past ratio 1 (below floor, over available)
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 7,
    "deterministic": True,
}
PREDICT = {"num_threads": 1}  # one row costs 10x more with OpenMP start-up; workers scale out
NUM_ROUNDS = 300
EARLY_STOP = 20


def best_threshold(y: np.ndarray, score: np.ndarray) -> float:
    """Threshold maximising F1 on (y, score): a balanced point that does not chase one gate."""
    order = np.argsort(-score, kind="stable")
    ys, ss = y[order], score[order]
    tp = np.cumsum(ys)
    k = np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + ys.sum())
    last = np.r_[ss[1:] != ss[:-1], True]  # only cut between distinct scores
    f1 = np.where(last, f1, -1)
    i = int(np.argmax(f1))
    nxt = ss[i + 1] if i + 1 < len(ss) else 0.0
    return float((ss[i] + nxt) / 2)


def feature_matrix(data: FeatureData, names: Sequence[str]) -> np.ndarray:
    """float32 matrix of ``names`` in that order; a column ``data`` lacks is all NaN."""
    if isinstance(data, pd.DataFrame):
        return data.reindex(columns=names).to_numpy(dtype=np.float32, na_value=np.nan)
    x = np.full((len(next(iter(data.values()), ())), len(names)), np.nan, dtype=np.float32)
    with np.errstate(over="ignore"):  # a value past float32's range is inf: past every split
        for j, name in enumerate(names):
            if name in data:
                x[:, j] = data[name]
    return x


@dataclass(frozen=True)
class ExtraRows:
    """Rows to train on beside the demo world's: features, this type's code per row ("" or None
    for clean) and one weight for all of them."""

    frame: pd.DataFrame
    labels: pd.Series
    weight: float = 1.0


@dataclass
class IssueModel:
    """P(issue of ``issue_type``) and which code, with evidence from feature contributions."""

    issue_type: str
    feature_names: list[str]
    required: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    threshold: float = 0.5
    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    calibration: tuple[list[float], list[float]] = ([0.0, 1.0], [0.0, 1.0])
    metrics: dict[str, Any] = field(default_factory=dict)
    binary: lgb.Booster | None = None
    multi: lgb.Booster | None = None
    # the boosters compiled to native code, when loaded (see :mod:`models.compiled`)
    compiled: Predict | None = field(default=None, repr=False)
    compiled_codes: Predict | None = field(default=None, repr=False)
    # explanations already given, per ``top``: feature-row bytes -> contributions
    _explained: dict[int, dict[bytes, list[tuple[str, float]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # rows whose explanation is kept for a repeat (0: none); see :meth:`explain_matrix`. Order
    # rows carry stock and prices of the moment, yet repeat: an order sent again (a pipeline's
    # retry), a listing priced wrong for every buyer, one SKU short for a whole flash sale (a
    # quarter of the stock model's flagged rows on the demo's distinct orders)
    EXPLAIN_MEMO: ClassVar[int] = 4_096

    # ---- fitting -------------------------------------------------------------------------
    def matrix(self, frame: FeatureData) -> np.ndarray:
        """The float32 feature matrix in the model's column order (missing columns are NaN)."""
        return feature_matrix(frame, self.feature_names)

    def fit(
        self,
        frame: pd.DataFrame,
        labels: pd.Series,
        calib_fraction: float = 0.2,
        extra: ExtraRows | None = None,
    ) -> IssueModel:
        """Fit on rows in time order: the first part trains, the last ``calib_fraction`` calibrates.

        ``labels`` is aligned with ``frame`` and holds this type's code per row (None/"" = clean).
        ``extra`` rows (reviewers' verdicts) join the training part only, with their own weight:
        the calibration and its threshold stay on the demo's own later rows.
        """
        x = self.matrix(frame)
        codes = labels.fillna("").astype(str).to_numpy()
        y = (codes != "").astype(np.int32)
        cut = int(len(x) * (1 - calib_fraction))
        if y[:cut].sum() == 0 or y[cut:].sum() == 0:
            raise ValueError(f"{self.issue_type}: no positive rows to train or calibrate on")
        x_fit, codes_fit, weight = x[:cut], codes[:cut], None
        if extra is not None and len(extra.frame):
            extra_codes = extra.labels.fillna("").astype(str).to_numpy()
            x_fit = np.vstack([x_fit, self.matrix(extra.frame)])
            codes_fit = np.concatenate([codes_fit, extra_codes])
            weight = np.r_[np.ones(cut), np.full(len(extra_codes), extra.weight)]
        y_fit = (codes_fit != "").astype(np.int32)
        train = lgb.Dataset(
            x_fit, y_fit, weight=weight, feature_name=self.feature_names, free_raw_data=False
        )
        valid = lgb.Dataset(x[cut:], y[cut:], reference=train)
        self.binary = lgb.train(
            {**self.params, "objective": "binary"},
            train,
            NUM_ROUNDS,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(EARLY_STOP, verbose=False)],
        )
        raw = self.binary.predict(x[cut:])
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y[cut:])
        self.calibration = (iso.X_thresholds_.tolist(), iso.y_thresholds_.tolist())
        self.threshold = best_threshold(y[cut:], self._calibrate(raw))
        self._fit_codes(x_fit, codes_fit, weight)
        return self

    def _fit_codes(self, x: np.ndarray, codes: np.ndarray, weight: np.ndarray | None) -> None:
        pos = codes != ""
        self.codes = sorted(set(codes[pos]))
        self.multi = None
        if len(self.codes) > 1:
            target = np.searchsorted(self.codes, codes[pos])
            w = weight[pos] if weight is not None else None
            data = lgb.Dataset(x[pos], target, weight=w, feature_name=self.feature_names)
            params = {k: v for k, v in self.params.items() if k != "monotone_constraints"}
            params |= {"objective": "multiclass", "num_class": len(self.codes)}
            self.multi = lgb.train(params, data, 150)

    def _calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Isotonic map, plus a negligible raw term so ties keep the booster's ranking."""
        xs, ys = self.calibration
        return np.clip(np.interp(raw, xs, ys) + 1e-6 * raw, 0.0, 1.0)

    # ---- scoring -------------------------------------------------------------------------
    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns ``score`` (calibrated P(issue)) and one per code (score × P(code | issue))."""
        x = self.matrix(frame)
        score = self.score_matrix(x)
        out = pd.DataFrame(self.code_matrix(x, score), columns=self.codes, index=frame.index)
        out.insert(0, "score", score)
        return out

    def score_matrix(self, x: np.ndarray) -> np.ndarray:
        """Calibrated P(issue) for the rows of a :meth:`matrix`."""
        if self.binary is None:
            raise RuntimeError("model is not fitted")
        raw = self.compiled(x) if self.compiled else self.binary.predict(x, **PREDICT)
        return self._calibrate(raw)

    def code_matrix(self, x: np.ndarray, score: np.ndarray) -> np.ndarray:
        """score × P(code | issue), columns in ``codes`` order.

        The scorer asks only for flagged rows: the multiclass booster costs the most per row.
        """
        if self.multi is None:
            return np.ones((len(x), len(self.codes))) * score[:, None]
        codes = self.compiled_codes(x) if self.compiled_codes else self.multi.predict(x, **PREDICT)
        share = codes.reshape(len(x), len(self.codes))
        return share * score[:, None]

    def explain(self, frame: FeatureData, top: int = 3) -> list[list[tuple[str, float]]]:
        """Per row, the ``top`` features pushing hardest towards an issue (log-odds units)."""
        return self.explain_matrix(self.matrix(frame), top)

    def explain_matrix(self, x: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
        """:meth:`explain` for rows of a :meth:`matrix` (the scorer passes only flagged rows).

        With :attr:`EXPLAIN_MEMO` set, a row explained before (the same bytes) is looked up:
        TreeSHAP costs ~100–250 µs a row, a lookup well under one.
        """
        if not self.EXPLAIN_MEMO:
            return self._explain_rows(x, top)
        memo = self._explained.setdefault(top, {})
        keys = [row.tobytes() for row in x]
        found = [memo.get(key) for key in keys]
        todo = [i for i, hit in enumerate(found) if hit is None]
        if todo:
            if len(memo) + len(todo) > self.EXPLAIN_MEMO:
                memo.clear()  # simpler than an LRU; repeats come back within minutes
            for i, contribs in zip(todo, self._explain_rows(x[todo], top), strict=True):
                found[i] = contribs
                if len(memo) < self.EXPLAIN_MEMO:
                    memo[keys[i]] = contribs
        return [list(contribs or ()) for contribs in found]

    def _explain_rows(self, x: np.ndarray, top: int) -> list[list[tuple[str, float]]]:
        if self.binary is None:
            raise RuntimeError("model is not fitted")
        contrib = self.binary.predict(x, pred_contrib=True, **PREDICT)[:, :-1]
        best = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
        return [
            [(self.feature_names[j], round(float(contrib[i, j]), 4)) for j in row]
            for i, row in enumerate(best)
        ]

    def required_missing(self, frame: FeatureData) -> np.ndarray:
        """True where the model cannot speak: a required feature is NaN or a SKU is unknown."""
        missing = np.isnan(feature_matrix(frame, self.required)).any(axis=1)
        if "n_unknown_sku" in frame:
            missing |= np.asarray(frame["n_unknown_sku"], dtype=float) > 0  # NaN compares False
        return missing

    # ---- persistence ---------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        """Write ``binary.txt``, ``codes.txt`` (when several codes) and ``model.json``."""
        if self.binary is None:
            raise RuntimeError("model is not fitted")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.binary.save_model(path / "binary.txt")
        if self.multi is not None:
            self.multi.save_model(path / "codes.txt")
        meta = {
            "issue_type": self.issue_type,
            "feature_names": self.feature_names,
            "required": self.required,
            "codes": self.codes,
            "threshold": self.threshold,
            "params": self.params,
            "calibration": list(self.calibration),
            "metrics": self.metrics,
        }
        (path / "model.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), "utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> IssueModel:
        path = Path(path)
        meta = json.loads((path / "model.json").read_text("utf-8"))
        codes_file = path / "codes.txt"
        model = cls(
            issue_type=meta["issue_type"],
            feature_names=meta["feature_names"],
            required=meta["required"],
            codes=meta["codes"],
            threshold=meta["threshold"],
            params=meta["params"],
            calibration=tuple(meta["calibration"]),  # type: ignore[arg-type]
            metrics=meta.get("metrics", {}),
            binary=lgb.Booster(model_file=str(path / "binary.txt")),
            multi=lgb.Booster(model_file=str(codes_file)) if codes_file.exists() else None,
        )
        model.compiled = compile_booster(path / "binary.txt")
        model.compiled_codes = compile_booster(codes_file) if model.multi is not None else None
        return model
