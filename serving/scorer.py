"""Scoring: address parser + order features + champion models + rules → one result per order.

``build_columns`` then ``score_columns`` is the whole decision as a function of its inputs;
``Scorer`` holds the long-lived state around them (reference data, rule store, loaded models,
recent-order index) for the API, the queue worker and ``ordersight score`` alike, so every path
gives the same answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from features.address import FEATURES as ADDRESS_FEATURES
from features.address import parse_addresses
from features.address_features import address_feature_matrix
from features.address_text import phone_correction
from features.duplicates import RecentOrders
from features.orders import order_feature_columns
from features.suggestions import price_suggestion, stock_suggestion
from models.registry import LoadedModel
from ordersight.codes import CODES, MODEL_TYPES, ORDER_MODEL_TYPES
from ordersight.reference import ReferenceData
from ordersight.rules.engine import auto_corrected, decide, evaluate, hit_scores
from ordersight.rules.model import RuleHit, RuleSet
from ordersight.schema import (
    Action,
    Evidence,
    Issue,
    Order,
    ParsedAddress,
    ScoreResult,
    Suggestion,
    trusted,
)

log = logging.getLogger("ordersight.scorer")
ADDR_PREFIX = "addr_"
# One batch's features by column: order features, `addr_` address features, the channel. Plain
# numpy arrays, not a DataFrame: pandas costs milliseconds per call, more than the models do.
Columns = dict[str, np.ndarray]
# Results are assembled with ``trusted``: every value is one the scorer computed itself, with the
# declared types, and validating them again cost a fifth of a large batch.


@dataclass
class ModelOutput:
    """One model type's batch output: which rows it scored, their scores, and for rows at or over
    the review threshold the best code (None elsewhere) and the evidence (by row: the others
    have none)."""

    scored: np.ndarray
    score: np.ndarray
    code: list[str | None]
    evidence: dict[int, list[Evidence]] = field(default_factory=dict)
    inputs: np.ndarray | None = None  # the feature matrix the model read (its column order)


def _review_threshold(rules: RuleSet, kind: str) -> float:
    return rules.thresholds[kind].review if kind in rules.thresholds else 0.5


def _run_model(loaded: LoadedModel, cols: Columns, explain_min: float) -> ModelOutput:
    """Predict with one model; rows whose required features are missing are left to rules."""
    model = loaded.model
    x = model.matrix(cols)  # one feature matrix per model per batch, built without pandas
    score = model.score_matrix(x)
    n = len(score)
    scored = ~model.required_missing(cols) & np.isfinite(score)
    flagged = np.flatnonzero(scored & (score >= explain_min))
    codes: list[str | None] = [None] * n
    evidence: dict[int, list[Evidence]] = {}
    if len(flagged):  # codes and evidence matter only where an issue is raised
        rows = flagged.tolist()
        known = [j for j, code in enumerate(model.codes) if code in CODES]
        if known:
            per_code = model.code_matrix(x[flagged], score[flagged])[:, known]
            for row, j in zip(rows, per_code.argmax(axis=1).tolist(), strict=True):
                codes[row] = model.codes[known[j]]
        for row, contribs in zip(rows, model.explain_matrix(x[flagged], top=3), strict=True):
            evidence[row] = [
                trusted(Evidence, feature=f, contribution=round(float(c), 4)) for f, c in contribs
            ]
    return ModelOutput(
        scored=scored, score=np.where(scored, score, 0.0), code=codes, evidence=evidence, inputs=x
    )


def _model_input(kind: str, cols: Columns) -> Columns:
    """The address model was fit on the parser's own columns; the joint columns prefix them."""
    if kind != "address":
        return cols
    return {name: cols[ADDR_PREFIX + name] for name in ADDRESS_FEATURES}


def _address_message(parsed: ParsedAddress, code: str) -> str:
    where = "".join(p for p in (parsed.province, parsed.city, parsed.district) if p)
    return f"{CODES[code]}; read as {where or 'unknown region'}"


def _model_issue(
    kind: str,
    code: str,
    score: float,
    row: Mapping[str, Any],
    parsed: ParsedAddress,
    order: Order,
    evidence: list[Evidence],
) -> Issue:
    suggestion: Suggestion | None
    if kind == "address":
        suggestion = address_suggestion(code, parsed, order)
        message = _address_message(parsed, code)
    else:
        raw = stock_suggestion(row) if kind == "stock" else price_suggestion(row, code)
        suggestion = Suggestion(**raw) if raw else None
        message = CODES[code]
    return trusted(
        Issue,
        type=kind,
        code=code,
        score=round(score, 4),
        scored_by="model",
        message=message,
        suggestion=suggestion,
        evidence=evidence,
    )


def address_suggestion(code: str, parsed: ParsedAddress, order: Order) -> Suggestion | None:
    """The correction for an address issue: for a bad phone, the number it most likely means;
    else the structured address in its standard form, and where the text leaves the county in
    doubt (two districts of one city), the address without it and the ranked ``choices``. None
    where only the buyer can tell: a phone missing digits, a missing door, no region at all."""
    if code == "ADDR_BAD_PHONE":
        fixed = phone_correction(order.address.phone, order.address.text())
        return Suggestion(field="address.phone", value=fixed) if fixed else None
    if code == "ADDR_DETAIL_MISSING" or (not parsed.adcode and not parsed.candidates):
        return None  # the door (同上, 详见聊天, 无) or every region: only the buyer can say
    value: dict[str, Any] = {
        "province": parsed.province,
        "city": parsed.city,
        "district": parsed.district,
        "adcode": parsed.adcode,
        "detail": parsed.detail,
        "standardized": parsed.standardized,
    }
    if not parsed.adcode:
        value["choices"] = [
            {"district": c.district, "adcode": c.adcode, "score": c.score}
            for c in parsed.candidates
        ]
    return Suggestion(field="address", value=value)


def _rule_issue(hit: RuleHit, parsed: ParsedAddress, order: Order) -> Issue:
    suggestion = hit.suggestion
    if suggestion is None and hit.type == "address":
        suggestion = address_suggestion(hit.code, parsed, order)
    return trusted(
        Issue,
        type=hit.type,
        code=hit.code,
        score=round(hit.score, 4),
        scored_by="rules",
        message=hit.message,
        suggestion=suggestion,
        evidence=[],
    )


def build_columns(
    orders: Sequence[Order], ref: ReferenceData, recent: RecentOrders | None
) -> tuple[Columns, list[ParsedAddress]]:
    """One batch's feature columns (see :data:`Columns`) and its parsed addresses."""
    texts = [o.address.text() for o in orders]
    phones = [o.address.phone for o in orders]
    parsed = parse_addresses(texts, phones)
    cols = order_feature_columns(orders, ref, recent, [p.adcode for p in parsed], texts)
    addr = address_feature_matrix(texts, phones)
    cols.update({ADDR_PREFIX + name: addr[:, j] for j, name in enumerate(ADDRESS_FEATURES)})
    cols["channel"] = np.fromiter((o.channel for o in orders), dtype=object, count=len(orders))
    return cols, parsed


def build_frame(
    orders: Sequence[Order], ref: ReferenceData, recent: RecentOrders | None
) -> tuple[pd.DataFrame, list[ParsedAddress]]:
    """:func:`build_columns` as one feature frame, for training, notebooks and benchmarks."""
    cols, parsed = build_columns(orders, ref, recent)
    return pd.DataFrame(cols), parsed


def score_columns(
    orders: Sequence[Order],
    cols: Columns,
    parsed: Sequence[ParsedAddress],
    rules: RuleSet,
    models: Mapping[str, LoadedModel],
    start: float,
) -> list[ScoreResult]:
    """Score a batch from its features (:func:`build_columns`): one predict call per model, one
    rule pass. ``start`` is when the batch began, for the per-order latency; a shadow challenger
    scores the champion's features again without rebuilding them."""
    n = len(orders)
    outputs: dict[str, ModelOutput] = {}
    for kind in MODEL_TYPES:
        loaded = models.get(kind)
        if loaded is None:
            continue
        review = _review_threshold(rules, kind)
        try:
            outputs[kind] = _run_model(loaded, _model_input(kind, cols), review)
        except Exception:  # the response never fails because a model did (CONTRACT §3)
            log.exception("model %s failed; scoring %s with rules", loaded.name, kind)
    model_scored = {k: o.scored for k, o in outputs.items()}
    hits = evaluate(rules, cols, model_scored)
    versions = {k: m.version for k, m in models.items() if k in outputs}
    per_kind = [_kind_rows(kind, outputs.get(kind), rules, n) for kind in MODEL_TYPES]
    elapsed_ms = round((time.perf_counter() - start) * 1000 / n, 3)
    results = [
        _assemble(i, orders[i], cols, parsed[i], per_kind, hits[i], rules, versions, elapsed_ms)
        for i in range(n)
    ]
    _keep_model_inputs(results, outputs, models)
    return results


def _keep_model_inputs(
    results: Sequence[ScoreResult],
    outputs: Mapping[str, ModelOutput],
    models: Mapping[str, LoadedModel],
) -> None:
    """Give each result going to a person what the order models read for it (type → version and
    feature values, NaN as None), for its stored decision; passing orders keep nothing. Only the
    order models': their features read the stock and the order stream of the moment, which
    nothing else keeps (an address's features are its text's, which the stored order holds)."""
    sent = [i for i, result in enumerate(results) if result.action != "pass"]
    if not sent:  # most batches of a few orders
        return
    kept = [
        (
            kind,
            models[kind],
            outputs[kind].scored[sent].tolist(),
            _plain(outputs[kind].inputs[sent]),
        )
        for kind in ORDER_MODEL_TYPES
        if kind in outputs and outputs[kind].inputs is not None
    ]
    for j, i in enumerate(sent):
        results[i]._model_inputs = {
            kind: {
                "version": loaded.version,
                "features": dict(zip(loaded.model.feature_names, rows[j], strict=True)),
            }
            for kind, loaded, scored, rows in kept
            if scored[j]
        }


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _plain(x: np.ndarray) -> list[list[float | None]]:
    """Float32 rows as JSON-ready floats (each the float32 value exactly): None for NaN, an
    infinite ratio as float32's largest value, which passes every split as infinity does
    (PostgreSQL's JSON has no Infinity)."""
    finite = np.clip(x.astype(np.float64), -_FLOAT32_MAX, _FLOAT32_MAX)
    return np.where(np.isnan(finite), None, finite).tolist()


class KindRows(NamedTuple):
    """One model type's batch output as per-row plain lists, read once per order by
    :func:`_assemble` (a numpy scalar costs more per read)."""

    kind: str
    scored: list[bool]
    score: list[float]
    shown: list[float]  # the score rounded as the response shows it (rounded once per batch)
    code: list[str | None]
    evidence: dict[int, list[Evidence]]  # rows at or over the review threshold
    review: float


def _kind_rows(kind: str, out: ModelOutput | None, rules: RuleSet, n: int) -> KindRows:
    """A type without a model output is unscored on every row."""
    review = _review_threshold(rules, kind)
    if out is None:
        return KindRows(kind, [False] * n, [], [], [], {}, review)
    shown = np.round(out.score, 4).tolist()
    return KindRows(
        kind, out.scored.tolist(), out.score.tolist(), shown, out.code, out.evidence, review
    )


class _Row(Mapping[str, Any]):
    """One order's feature values, read from the batch columns only where a suggestion asks."""

    def __init__(self, cols: Columns, i: int):
        self._cols, self._i = cols, i

    def __getitem__(self, name: str) -> Any:
        return self._cols[name][self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)


def _assemble(
    i: int,
    order: Order,
    cols: Columns,
    parsed: ParsedAddress,
    per_kind: Sequence[KindRows],
    hits: list[RuleHit],
    rules: RuleSet,
    versions: dict[str, str],
    latency_ms: float,
) -> ScoreResult:
    scores: dict[str, float] = {}
    scored_by: dict[str, Any] = {}
    issues: list[Issue] = []
    rule_scores = hit_scores(hits) if hits else {}
    over_review = False
    for kind, scored, score_of, shown_of, code_of, evidence_of, review in per_kind:
        if not scored[i]:
            scores[kind] = shown = round(rule_scores.get(kind, 0.0), 4)
            scored_by[kind] = "rules"
        else:
            score, code = score_of[i], code_of[i]
            scores[kind] = shown = shown_of[i]
            scored_by[kind] = "model"
            if score >= review and code:
                row = _Row(cols, i)
                issues.append(_model_issue(kind, code, score, row, parsed, order, evidence_of[i]))
        over_review = over_review or shown >= review
    # Most orders: no issue, no rule hit and every shown score under its review threshold (so
    # under hold too), which `decide` would pass; it is asked only about the others.
    action: Action = "pass"
    if issues or hits or over_review:
        model_codes: dict[str, str] = {iss.type: iss.code for iss in issues}  # models' alone
        seen = {iss.code for iss in issues}
        for hit in hits:
            if hit.code not in seen:
                issues.append(_rule_issue(hit, parsed, order))
                seen.add(hit.code)
            scores.setdefault(hit.type, round(hit.score, 4))
        action = decide(rules, scores, hits, model_codes)
        if action == "pass" and issues:
            action = "review"
        if action == "review" and auto_corrected(rules, issues, parsed.defects, scores):
            action = "pass"
    return trusted(
        ScoreResult,
        order_id=order.order_id,
        action=action,
        risk=max(scores.values(), default=0.0),  # of scores rounded already
        issues=issues,
        scores=scores,
        scored_by=scored_by,
        address=parsed,
        model_versions=versions,
        rules_version=rules.version,
        latency_ms=latency_ms,
    )
