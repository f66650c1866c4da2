"""Vectorised rule evaluation: each condition is compiled once to numpy over whole columns.

Comparisons are NaN-safe: a missing or null value makes every comparison False (``not_in`` and
``!=`` included); only ``is_null`` is True for it. A feature column absent from the frame reads as
all-null, so a rule never crashes a batch because a feature could not be computed.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ordersight.rules.model import Mask, Rule, RuleHit, RuleSet, SuggestionSpec
from ordersight.schema import Action, Issue, Suggestion

CHANNEL_COLUMN = "channel"
NUMERIC_OPS = (">", ">=", "<", "<=")
OPS = (*NUMERIC_OPS, "==", "!=", "in", "not_in", "has_any", "is_null", "not_null")

# A batch's features: a DataFrame, or column name -> numpy array (no per-call pandas overhead).
Frame = pd.DataFrame | Mapping[str, np.ndarray]

__all__ = [
    "CHANNEL_COLUMN",
    "OPS",
    "auto_corrected",
    "compile_condition",
    "decide",
    "evaluate",
    "hit_scores",
]


class Columns:
    """One batch's columns, each converted at most once however many rules read it."""

    def __init__(self, frame: Frame):
        self.frame = frame
        is_frame = isinstance(frame, pd.DataFrame)
        self.n = len(frame) if is_frame else len(next(iter(frame.values()), ()))
        self._raw: dict[str, np.ndarray | None] = {}
        self._num: dict[str, np.ndarray] = {}
        self._null: dict[str, np.ndarray] = {}

    def raw(self, name: str) -> np.ndarray | None:
        """The column as numpy (None when the frame lacks it)."""
        try:
            return self._raw[name]
        except KeyError:
            pass
        arr = np.asarray(self.frame[name]) if name in self.frame else None
        self._raw[name] = arr
        return arr

    def num(self, name: str) -> np.ndarray:
        """Float view of a column; text that is not a number reads as NaN."""
        arr = self._num.get(name)
        if arr is None:
            raw = self.raw(name)
            if raw is None:
                arr = np.full(self.n, np.nan)
            elif raw.dtype.kind in "fiub":
                arr = raw.astype(float, copy=False)
            else:
                arr = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(
                    float, na_value=np.nan
                )
            self._num[name] = arr
        return arr

    def obj(self, name: str) -> np.ndarray:
        raw = self.raw(name)
        return (
            np.full(self.n, None, dtype=object) if raw is None else raw.astype(object, copy=False)
        )

    def null(self, name: str) -> np.ndarray:
        mask = self._null.get(name)
        if mask is None:
            raw = self.raw(name)
            if raw is None:
                mask = np.ones(self.n, dtype=bool)
            elif raw.dtype.kind == "f":
                mask = np.isnan(raw)
            else:
                mask = pd.isna(raw)
            self._null[name] = mask
        return mask

    def value(self, name: str, row: int) -> Any:
        """One cell as a plain Python value (None for null), for messages and suggestions."""
        if self.null(name)[row]:
            return None
        v = self.raw(name)[row]  # type: ignore[index]
        return v.item() if isinstance(v, np.generic) else v


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _compile_leaf(leaf: Mapping[str, Any]) -> Mask:
    feat, op = leaf["feature"], leaf["op"]
    if op == "is_null":
        return lambda c: c.null(feat).copy()
    if op == "not_null":
        return lambda c: ~c.null(feat)
    ref = leaf.get("ref")
    value = leaf.get("value")
    if op in ("in", "not_in"):
        return _compile_membership(feat, op, list(value))
    if op == "has_any":
        return _compile_has_any(feat, frozenset(str(v) for v in value))
    numeric = op in NUMERIC_OPS or (ref is None and (_is_number(value) or isinstance(value, bool)))
    cmp = {
        ">": np.greater,
        ">=": np.greater_equal,
        "<": np.less,
        "<=": np.less_equal,
        "==": np.equal,
        "!=": np.not_equal,
    }[op]
    if numeric:
        rhs_const = float(value) if value is not None else None

        def numeric_mask(c: Columns) -> np.ndarray:
            x = c.num(feat)
            rhs = c.num(ref) if ref is not None else rhs_const
            out = cmp(x, rhs)
            # NaN != anything is True in IEEE; the contract says a null compares False.
            return out & ~np.isnan(x) & ~np.isnan(rhs) if op == "!=" else out

        return numeric_mask

    def text_mask(c: Columns) -> np.ndarray:
        x, known = c.obj(feat), ~c.null(feat)
        if ref is not None:
            rhs, known = c.obj(ref), known & ~c.null(ref)
        else:
            rhs = value
        return cmp(x, rhs).astype(bool) & known

    return text_mask


def _compile_membership(feat: str, op: str, values: list[Any]) -> Mask:
    negate = op == "not_in"
    if all(_is_number(v) for v in values):
        nums = np.asarray(values, dtype=float)

        def num_in(c: Columns) -> np.ndarray:
            x = c.num(feat)
            hit = np.isin(x, nums)
            return (~hit if negate else hit) & ~np.isnan(x)

        return num_in
    texts = frozenset(str(v) for v in values)

    def text_in(c: Columns) -> np.ndarray:
        hit = np.fromiter((str(v) in texts for v in c.obj(feat)), dtype=bool, count=c.n)
        return (~hit if negate else hit) & ~c.null(feat)

    return text_in


def _items(cell: Any) -> frozenset[str]:
    """A set-valued cell: a list / tuple / set of names, or one "a|b" string."""
    if isinstance(cell, str):
        return frozenset(cell.split("|"))
    if isinstance(cell, list | tuple | set | frozenset | np.ndarray):
        return frozenset(str(v) for v in cell)
    return frozenset()


def _compile_has_any(feat: str, wanted: frozenset[str]) -> Mask:
    def has_any(c: Columns) -> np.ndarray:
        cells = c.obj(feat)
        return np.fromiter((not wanted.isdisjoint(_items(v)) for v in cells), bool, c.n)

    return has_any


def compile_condition(cond: Mapping[str, Any]) -> Mask:
    """Turn a validated condition tree into one function from columns to a boolean mask."""
    if "all" in cond:
        parts = [compile_condition(c) for c in cond["all"]]
        return lambda c: functools.reduce(np.logical_and, [p(c) for p in parts])
    if "any" in cond:
        parts = [compile_condition(c) for c in cond["any"]]
        return lambda c: functools.reduce(np.logical_or, [p(c) for p in parts])
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda c: ~inner(c)
    return _compile_leaf(cond)


Template = tuple[tuple[str, str | None, str], ...]


def compile_template(message: str) -> Template:
    """Parse a ``{feature}`` message once; ``str.format`` machinery per hit is too slow in bulk."""
    return tuple(
        (literal, field, spec or "")
        for literal, field, spec, _ in string.Formatter().parse(message)
    )


def _show(value: Any, spec: str) -> str:
    """A cell in a message; never fails: nulls print as "?", floats compactly."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "?"
    if spec:
        try:
            return format(value, spec)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return str(value)


def render(template: Template, values: Mapping[str, Any]) -> str:
    return "".join(
        lit if field is None else lit + _show(values[field], spec) for lit, field, spec in template
    )


def _cells(cols: Columns, name: str, rows: np.ndarray) -> list[Any]:
    """Plain Python values of one column at ``rows`` (None where null)."""
    raw = cols.raw(name)
    if raw is None:
        return [None] * len(rows)
    values = raw[rows].tolist()
    return [None if null else v for v, null in zip(values, cols.null(name)[rows], strict=True)]


def _hits(rule: Rule, cols: Columns, rows: np.ndarray) -> list[RuleHit]:
    """The hits of one rule on the rows it fired on; columns are read once per rule, not per row
    (a feature named by the message and by a suggestion too, once)."""
    read: Callable[[str], list[Any]] = functools.cache(lambda name: _cells(cols, name, rows))
    fields = {p: read(p) for _, p, _ in rule.template if p}
    offers = _offers(rule.suggestion, read, len(rows))
    out = []
    for k in range(len(rows)):
        message = render(rule.template, {p: v[k] for p, v in fields.items()})
        suggestion = next((s for s in (offer(k) for offer in offers) if s is not None), None)
        out.append(
            RuleHit(rule.name, rule.type, rule.code, rule.action, rule.score, message, suggestion)
        )
    return out


def _offers(
    spec: SuggestionSpec | None, read: Callable[[str], list[Any]], n: int
) -> list[Callable[[int], Suggestion | None]]:
    """Per suggestion of the rule's chain (``otherwise``), the fix it offers each of the ``n``
    fired rows, or None: a suggestion needs its value and every feature its field names
    (lines[{stage_line}])."""
    offers = []
    while spec is not None:
        offers.append(_offer(spec, read, n))
        spec = spec.otherwise
    return offers


def _offer(
    spec: SuggestionSpec, read: Callable[[str], list[Any]], n: int
) -> Callable[[int], Suggestion | None]:
    named = {f: read(f) for _, f, _ in spec.template if f}
    values = read(spec.value_from) if spec.value_from else [spec.value] * n

    def offer(k: int) -> Suggestion | None:
        at = {f: v[k] for f, v in named.items()}
        if values[k] is None or any(v is None for v in at.values()):
            return None
        field = render(spec.template, at) if named else spec.field
        return Suggestion.model_construct(field=field, value=values[k])

    return offer


def rule_mask(
    rule: Rule, cols: Columns, unscored: Mapping[str, np.ndarray] | None = None
) -> np.ndarray:
    """Rows a rule fires on, with its channel filter and fallback gate applied.

    ``unscored[type]`` is True where that type's model gave no score: a fallback rule fires only
    there. A type missing from it (or ``None``) counts as not model-scored.
    """
    assert rule.mask is not None, "rules are compiled by load_rules/parse_rules"
    mask = np.asarray(rule.mask(cols), dtype=bool)
    if rule.channels is not None:
        mask &= np.fromiter((v in rule.channels for v in cols.obj(CHANNEL_COLUMN)), bool, cols.n)
    if rule.fallback and unscored is not None and rule.type in unscored:
        mask &= unscored[rule.type]
    return mask


def evaluate(
    ruleset: RuleSet,
    frame: Frame,
    model_scored: Mapping[str, np.ndarray] | None = None,
) -> list[list[RuleHit]]:
    """Hits per row of ``frame``, in rule-file order.

    ``model_scored[type]`` is True where that type's model produced a score; fallback rules fire
    only on the other rows, and are not evaluated at all when the model scored every row (with
    all three champions loaded, that is most rules on most batches). A type missing from it (or
    ``None``) counts as not model-scored.
    """
    cols = Columns(frame)
    unscored = {t: ~np.asarray(s, dtype=bool) for t, s in (model_scored or {}).items()}
    covered = {t for t, rows in unscored.items() if not rows.any()}
    hits: list[list[RuleHit]] = [[] for _ in range(cols.n)]
    with np.errstate(invalid="ignore", divide="ignore"):
        for rule in ruleset.active:
            if rule.fallback and rule.type in covered:
                continue
            rows = np.flatnonzero(rule_mask(rule, cols, unscored))
            if len(rows):
                for row, hit in zip(rows.tolist(), _hits(rule, cols, rows), strict=True):
                    hits[row].append(hit)
    return hits


def hit_scores(hits: Sequence[RuleHit]) -> dict[str, float]:
    """Type scores when rules score a type: the most confident hit of that type."""
    out: dict[str, float] = {}
    for h in hits:
        out[h.type] = max(out.get(h.type, 0.0), h.score)
    return out


def decide(
    ruleset: RuleSet,
    type_scores: Mapping[str, float],
    hits: Sequence[RuleHit],
    model_codes: Mapping[str, str] | None = None,
) -> Action:
    """The order's action: any hold hit or score over its hold threshold holds it, and so on.

    ``model_codes`` are the codes of the models' issues by type. A type whose issues all have a
    ``review_only`` code sends the order to review at most, however high its score (a region
    written short or twice: the parcel arrives, the suggestion is for the record).
    """
    over_review = False
    for issue_type, score in type_scores.items():
        t = ruleset.thresholds.get(issue_type)
        if t is None:
            continue
        if score >= t.hold and not _review_only(ruleset, issue_type, hits, model_codes):
            return "hold"
        over_review = over_review or score >= t.review
    if any(h.action == "hold" for h in hits):
        return "hold"
    return "review" if hits or over_review else "pass"


def _review_only(
    ruleset: RuleSet,
    issue_type: str,
    hits: Sequence[RuleHit],
    model_codes: Mapping[str, str] | None,
) -> bool:
    """Whether the type's issues (at least one) all have a ``review_only`` code."""
    if not ruleset.review_only:
        return False
    codes = {h.code for h in hits if h.type == issue_type}
    if model_codes and issue_type in model_codes:
        codes.add(model_codes[issue_type])
    return bool(codes) and codes <= ruleset.review_only


def auto_corrected(
    ruleset: RuleSet,
    issues: Sequence[Issue],
    defects: Sequence[str],
    scores: Mapping[str, float],
) -> bool:
    """Whether an order bound for review holds nothing a person must see: every issue has an
    ``auto_correct`` code and the suggestion that corrects it (北京北京市朝阳区北京北京市朝阳区…:
    each level once), the parser saw no other defect in the address, and no type without such
    an issue scored over its review threshold. The order then passes with its issues listed,
    for the pipeline to apply their suggestions."""
    allowed = ruleset.auto_correct
    if not (allowed and issues) or not set(defects) <= allowed:
        return False
    if any(i.code not in allowed or i.suggestion is None for i in issues):
        return False
    corrected = {i.type for i in issues}
    return all(
        t in corrected or score < ruleset.thresholds[t].review
        for t, score in scores.items()
        if t in ruleset.thresholds
    )
