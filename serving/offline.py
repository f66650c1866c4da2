"""Offline paths over the same Scorer the API uses: `ordersight score` and `rules replay`."""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError
from rich.console import Console

from ordersight.files import written_whole
from ordersight.outcomes import Outcomes, order_outcomes
from ordersight.rules.replay import compare, render
from ordersight.rules.store import RuleStore
from ordersight.schema import Order, ScoreResult
from ordersight.settings import Settings
from serving.errors import first_problem, validation_details
from serving.metrics import Metrics
from serving.service import Scorer
from serving.state import ModelHolder, ReferenceHolder

CHUNK = 5_000


def known_features() -> set[str]:
    """Every column a rule may name: order features, `addr_` address features, the channel."""
    from features.address import FEATURES as ADDRESS_FEATURES
    from features.orders import FEATURES

    return set(FEATURES) | {f"addr_{name}" for name in ADDRESS_FEATURES} | {"channel"}


def build_scorer(
    settings: Settings, rules_file: Path | None = None, metrics: Metrics | None = None
) -> Scorer:
    models = ModelHolder(settings.tracking_uri)
    models.refresh()
    rules = RuleStore(rules_file or settings.rules_file, known_features())
    return Scorer(ReferenceHolder(settings.reference_dir), rules, models, metrics)


def read_orders(path: Path) -> Iterator[tuple[int, Order | str]]:
    """(line number, Order or an error message naming the field) per non-empty line."""
    with path.open(encoding="utf-8-sig") as fh:  # a BOM (Windows editors) is not part of line 1
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield lineno, Order.model_validate_json(line)
            except ValidationError as exc:
                problem = first_problem(validation_details(exc.errors()), "order")
                yield lineno, f"line {lineno}: {problem}"


def _chunks(path: Path) -> Iterator[tuple[list[Order], list[str]]]:
    orders: list[Order] = []
    errors: list[str] = []
    for _, item in read_orders(path):
        if isinstance(item, str):
            errors.append(item)
        else:
            orders.append(item)
        if len(orders) >= CHUNK:
            yield orders, errors
            orders, errors = [], []
    yield orders, errors


def score_file(infile: Path, out: Path | None, settings: Settings) -> dict[str, Any]:
    """Score a JSON-lines file in chunks; results as JSON lines (stdout when ``out`` is None;
    ``out`` is written whole or not at all)."""
    if out is None:
        return _score_into(infile, sys.stdout, settings)
    with written_whole(out) as sink:
        return _score_into(infile, sink, settings)


def _score_into(infile: Path, sink: IO[str], settings: Settings) -> dict[str, Any]:
    scorer = build_scorer(settings)
    counts: Counter[str] = Counter()
    for orders, errors in _chunks(infile):
        for message in errors:
            counts["invalid"] += 1
            line = json.dumps(
                {"error": {"code": "invalid_order", "message": message}}, ensure_ascii=False
            )
            sink.write(line + "\n")
        for result in scorer.score(orders):
            counts[result.action] += 1
            sink.write(result.model_dump_json(exclude_none=True) + "\n")
    return dict(counts)


def _score_all(scorer: Scorer, path: Path) -> list[ScoreResult]:
    results: list[ScoreResult] = []
    for orders, _ in _chunks(path):
        results += scorer.score(orders)
    return results


def read_labels(path: Path) -> list[tuple[str, str]]:
    """(order_id, code) per row of a labels CSV (``order_id,code``, more columns allowed: the demo
    world's labels.csv has ``type`` too). Raises ValueError naming the row and column of the
    first problem: a label with an unknown code would silently count as nothing."""
    import pandas as pd

    from ordersight.codes import CODES
    from ordersight.reference import decode_text

    text = decode_text(path.read_bytes())
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: not a CSV file ({exc})") from exc
    missing = [c for c in ("order_id", "code") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(missing)} (header: order_id,code)")
    for row, (order_id, code) in enumerate(zip(frame["order_id"], frame["code"], strict=True)):
        if not order_id.strip():
            raise ValueError(f"{path}, row {row + 2}, column order_id: empty")
        if code.strip() not in CODES:
            raise ValueError(f"{path}, row {row + 2}, column code: unknown issue code {code!r}")
    return [(o.strip(), c.strip()) for o, c in zip(frame["order_id"], frame["code"], strict=True)]


def evaluate_file(orders_file: Path, labels_file: Path, settings: Settings) -> Outcomes:
    """Score past orders whose problems people found (``labels_file``) and count how many the
    scorer catches with a correction and how many orders it sends to a person."""
    labels = read_labels(labels_file)
    return order_outcomes(_score_all(build_scorer(settings), orders_file), labels)


def replay(rules_file: Path, orders_file: Path, settings: Settings, console: Console) -> dict:
    """Score past orders with the current rules and with ``rules_file``; print the difference."""
    before = _score_all(build_scorer(settings), orders_file)
    after = _score_all(build_scorer(settings, rules_file), orders_file)
    report = compare(before, after)
    console.print(render(report))
    return report
