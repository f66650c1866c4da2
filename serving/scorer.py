"""Scoring: address parser + order features + champion models + rules → one result per order.

``score_orders`` is the whole decision as one function of its inputs; ``Scorer`` holds the
long-lived state around it (reference data, rule store, loaded models, recent-order index) for
the API, the queue worker and ``ordersight score`` alike, so every path gives the same answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.address import address_feature_frame, parse_addresses
from features.duplicates import RecentOrders
from features.orders import order_feature_frame
from features.suggestions import price_suggestion, stock_suggestion
from models.registry import LoadedModel
from ordersight.codes import CODES, MODEL_TYPES
from ordersight.reference import ReferenceData
from ordersight.rules.engine import decide, evaluate, hit_scores
from ordersight.rules.model import RuleHit, RuleSet
from ordersight.schema import Evidence, Issue, Order, ParsedAddress, ScoreResult, Suggestion

log = logging.getLogger("ordersight.scorer")
ADDR_PREFIX = "addr_"


@dataclass
class ModelOutput:
    """One model type's batch output: which rows it scored, their scores, best code, evidence."""

    scored: np.ndarray
    score: np.ndarray
    code: list[str | None]
    evidence: list[list[Evidence]] = field(default_factory=list)


def _run_model(
    kind: str, loaded: LoadedModel, frame: pd.DataFrame, explain_min: float
) -> ModelOutput:
    """Predict with one model; rows whose required features are missing are left to rules."""
    n = len(frame)
    model = loaded.model
    missing = (
        np.asarray(model.required_missing(frame), dtype=bool)
        if hasattr(model, "required_missing")
        else np.zeros(n, dtype=bool)
    )
    preds = model.predict_frame(frame)
    score = preds["score"].to_numpy(dtype=float)
    code_cols = [c for c in preds.columns if c in CODES]
    codes: list[str | None] = [None] * n
    if code_cols:
        best = preds[code_cols].to_numpy(dtype=float).argmax(axis=1)
        codes = [code_cols[j] for j in best]
    scored = ~missing & np.isfinite(score)
    evidence: list[list[Evidence]] = [[] for _ in range(n)]
    flagged = np.flatnonzero(scored & (score >= explain_min))
    if len(flagged) and hasattr(model, "explain"):
        for row, contribs in zip(flagged, model.explain(frame.iloc[flagged], top=3), strict=True):
            evidence[row] = [
                Evidence(feature=f, contribution=round(float(c), 4)) for f, c in contribs
            ]
    return ModelOutput(
        scored=scored, score=np.where(scored, score, 0.0), code=codes, evidence=evidence
    )


def _model_input(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The address model was fit on the parser's own columns; the joint frame prefixes them."""
    if kind != "address":
        return frame
    cols = [c for c in frame.columns if c.startswith(ADDR_PREFIX)]
    return frame[cols].rename(columns=lambda c: c[len(ADDR_PREFIX) :])


def _address_message(parsed: ParsedAddress, code: str) -> str:
    where = "".join(p for p in (parsed.province, parsed.city, parsed.district) if p)
    return f"{CODES[code]}; read as {where or 'unknown region'}"


def _model_issue(
    kind: str,
    code: str,
    score: float,
    row: pd.Series,
    parsed: ParsedAddress,
    evidence: list[Evidence],
) -> Issue:
    suggestion: Suggestion | None
    if kind == "address":
        suggestion = address_suggestion(parsed)
        message = _address_message(parsed, code)
    else:
        raw = stock_suggestion(row) if kind == "stock" else price_suggestion(row, code)
        suggestion = Suggestion(**raw) if raw else None
        message = CODES[code]
    return Issue(
        type=kind,  # type: ignore[arg-type]
        code=code,
        score=round(score, 4),
        scored_by="model",
        message=message,
        suggestion=suggestion,
        evidence=evidence,
    )


def address_suggestion(parsed: ParsedAddress) -> Suggestion | None:
    """The corrected structured address and its standard one-line form."""
    if not parsed.adcode:
        return None
    return Suggestion(
        field="address",
        value={
            "province": parsed.province,
            "city": parsed.city,
            "district": parsed.district,
            "adcode": parsed.adcode,
            "detail": parsed.detail,
            "standardized": parsed.standardized,
        },
    )


def _rule_issue(hit: RuleHit, parsed: ParsedAddress) -> Issue:
    suggestion = hit.suggestion
    if suggestion is None and hit.type == "address":
        suggestion = address_suggestion(parsed)
    return Issue(
        type=hit.type,
        code=hit.code,
        score=round(hit.score, 4),
        scored_by="rules",
        message=hit.message,
        suggestion=suggestion,
    )


def build_frame(
    orders: Sequence[Order], ref: ReferenceData, recent: RecentOrders | None
) -> tuple[pd.DataFrame, list[ParsedAddress]]:
    """One feature frame for a batch: order features plus `addr_`-prefixed address features."""
    texts = [o.address.text() for o in orders]
    phones = [o.address.phone for o in orders]
    parsed = parse_addresses(texts, phones)
    addr = address_feature_frame(parsed, texts, phones).add_prefix(ADDR_PREFIX)
    frame = order_feature_frame(orders, ref, recent, [p.adcode for p in parsed])
    frame = pd.concat([frame.reset_index(drop=True), addr.reset_index(drop=True)], axis=1)
    frame["channel"] = [o.channel for o in orders]
    return frame, parsed


def score_orders(
    orders: Sequence[Order],
    ref: ReferenceData,
    rules: RuleSet,
    models: Mapping[str, LoadedModel],
    recent: RecentOrders | None = None,
) -> list[ScoreResult]:
    """Score a batch: one feature frame, one predict call per model, one rule pass."""
    start = time.perf_counter()
    n = len(orders)
    if n == 0:
        return []
    frame, parsed = build_frame(orders, ref, recent)
    outputs: dict[str, ModelOutput] = {}
    for kind in MODEL_TYPES:
        loaded = models.get(kind)
        if loaded is None:
            continue
        review = rules.thresholds[kind].review if kind in rules.thresholds else 0.5
        try:
            outputs[kind] = _run_model(kind, loaded, _model_input(kind, frame), review)
        except Exception:  # the response never fails because a model did (CONTRACT §3)
            log.exception("model %s failed; scoring %s with rules", loaded.name, kind)
    model_scored = {k: o.scored for k, o in outputs.items()}
    hits = evaluate(rules, frame, model_scored)
    versions = {k: m.version for k, m in models.items() if k in outputs}
    elapsed_ms = (time.perf_counter() - start) * 1000 / n
    return [
        _assemble(i, orders[i], frame, parsed[i], outputs, hits[i], rules, versions, elapsed_ms)
        for i in range(n)
    ]


def _assemble(
    i: int,
    order: Order,
    frame: pd.DataFrame,
    parsed: ParsedAddress,
    outputs: Mapping[str, ModelOutput],
    hits: list[RuleHit],
    rules: RuleSet,
    versions: dict[str, str],
    latency_ms: float,
) -> ScoreResult:
    scores: dict[str, float] = {}
    scored_by: dict[str, Any] = {}
    issues: list[Issue] = []
    rule_scores = hit_scores(hits)
    row: pd.Series | None = None
    for kind in MODEL_TYPES:
        out = outputs.get(kind)
        if out is not None and out.scored[i]:
            score = float(out.score[i])
            scores[kind], scored_by[kind] = round(score, 4), "model"
            threshold = rules.thresholds[kind].review if kind in rules.thresholds else 0.5
            if score >= threshold and out.code[i]:
                row = frame.iloc[i] if row is None else row
                issues.append(_model_issue(kind, out.code[i], score, row, parsed, out.evidence[i]))
        else:
            scores[kind], scored_by[kind] = round(rule_scores.get(kind, 0.0), 4), "rules"
    seen = {iss.code for iss in issues}
    for hit in hits:
        if hit.code not in seen:
            issues.append(_rule_issue(hit, parsed))
            seen.add(hit.code)
        scores.setdefault(hit.type, round(hit.score, 4))
    action = decide(rules, scores, hits)
    if action == "pass" and issues:
        action = "review"
    return ScoreResult(
        order_id=order.order_id,
        action=action,
        risk=round(max(scores.values(), default=0.0), 4),
        issues=issues,
        scores=scores,
        scored_by=scored_by,
        address=parsed,
        model_versions=versions,
        rules_version=rules.version,
        latency_ms=round(latency_ms, 3),
    )
