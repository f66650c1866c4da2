"""Stock and price models: load a world → feature frame → time split → fit → evaluate → register.

The frame is built by the serving code path (``order_feature_frame`` with a ``RecentOrders``
replayed in ``created_at`` order, addresses through the same parser), so training sees exactly
what the scorer will. The last ``HOLDOUT`` of orders in time is never seen by fitting or
calibration; the gates are measured there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve

from features.duplicates import RecentOrders
from features.orders import order_feature_frame
from models.registry import MODEL_NAMES, RegistryPort
from models.tabular import DEFAULT_PARAMS, ExtraRows, IssueModel
from ordersight.codes import CODES, ORDER_MODEL_TYPES, codes_of
from ordersight.reference import ReferenceData
from ordersight.schema import Order
from training.feedback import feedback_agreement

__all__ = [
    "FEATURE_SETS",
    "blank_optional_inputs",
    "build_training_frame",
    "evaluate",
    "train_issue_models",
]

HOLDOUT = 0.2
CHUNK = 20_000
GATE_RECALL, GATE_PRECISION, GATE_CLEAN_FLAGGED = 0.95, 0.90, 0.07

# Catalog-relative only: nothing here knows the demo catalog's SKUs, prices or warehouse names.
# Monotone constraints say what must hold on any catalog (more over available is never safer),
# so the trees cannot learn a non-monotone quirk of the generator. Line counts at the definitional
# breakpoints (below cost, below floor, over available) come first: where they tie with a ratio
# on training data, LightGBM keeps the first feature, and the count's cut at exactly 1
# generalises. Below cost comes before below floor: a line under cost is under the floor too, and
# split on the floor's count first the trees had little left to learn from the cost's, which is
# all a catalog without floors gives.
FEATURE_SETS: dict[str, dict[str, list[str]]] = {
    "stock": {
        "features": [
            "lines_short_on_hand",
            "lines_short_available",
            "flash_short",
            "n_lines",
            "qty_over_available_max",
            "qty_over_on_hand_max",
            "reserved_share",
            "velocity_over_available",
            "in_transit_cover",
            "is_flash_sale",
            "flash_stock_over_available",
            "any_warehouse_can_ship",
        ],
        "required": ["qty_over_available_max"],
        "increasing": [
            "qty_over_available_max",
            "qty_over_on_hand_max",
            "flash_stock_over_available",
            "lines_short_on_hand",
            "lines_short_available",
            "flash_short",
        ],
    },
    "price": {
        "features": [
            "lines_below_cost",
            "lines_below_floor",
            "n_lines",
            "paid_missing",
            "unit_over_cost_min",
            "unit_over_floor_min",
            "unit_over_recent_min",
            "list_mismatch_max",
            "total_gap_ratio",
            "paid_over_expected_log10",
            "discount_share",
            "promo_season",
            "discount_over_cap",
            "unit_ratio_log10_max",
        ],
        "required": ["unit_over_list_min"],
        "increasing": [
            "list_mismatch_max",
            "total_gap_ratio",
            "discount_over_cap",
            "unit_ratio_log10_max",
            "lines_below_floor",
            "lines_below_cost",
        ],
        "decreasing": ["unit_over_cost_min", "unit_over_floor_min"],
    },
}


# Inputs a user's data may lack (no price floors, no sales history). A share of training rows
# gets them blanked so the trees learn "missing = no evidence" instead of LightGBM's default of
# treating an unseen NaN as zero (which would read as "priced at nothing"). Each group holds the
# features one input gives, blanked together on the same rows as a catalog without it would; the
# code is the one that cannot be seen without that input: its rows keep the values. (The floor's
# line count was once kept: below cost is below the floor too, so the trees read every below-cost
# line from it and caught none on a catalog without floors.)
OPTIONAL_INPUTS: dict[str, list[tuple[tuple[str, ...], str | None]]] = {
    "stock": [(("velocity_over_available",), None)],
    "price": [
        (("unit_over_floor_min", "lines_below_floor"), "PRICE_BELOW_FLOOR"),
        (("unit_over_recent_min",), None),
    ],
}
BLANK_SHARE = 0.35


def blank_optional_inputs(
    frame: pd.DataFrame, codes: pd.Series, issue_type: str, seed: int = 0
) -> pd.DataFrame:
    """A copy of ``frame`` with optional inputs set to NaN on a random ``BLANK_SHARE`` of rows."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for columns, needs in OPTIONAL_INPUTS.get(issue_type, []):
        blank = rng.random(len(out)) < BLANK_SHARE
        if needs:
            blank &= (codes != needs).to_numpy()
        out.loc[blank, list(columns)] = np.nan
    return out


def load_reference(data_dir: Path) -> ReferenceData:
    """Catalog, warehouses, stock and (when present) recent history, exactly as serving loads it."""
    return ReferenceData.from_dir(data_dir)


def parsed_adcodes(orders: Sequence[Order]) -> list[str | None]:
    """Parsed adcodes through the serving parser, so nearest-warehouse features match serving."""
    from features.address import parse_addresses

    parsed = parse_addresses([o.address.text() for o in orders], [o.address.phone for o in orders])
    return [p.adcode for p in parsed]


def build_training_frame(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Feature frame for every order in ``orders.jsonl`` and a label frame aligned with it.

    Labels have ``order_id``, ``created_at`` and one column per issue type holding that type's
    code (the first by code order when an order has several), or None for no issue of that type.
    """
    data_dir = Path(data_dir)
    ref = load_reference(data_dir)
    with (data_dir / "orders.jsonl").open(encoding="utf-8") as fh:
        orders = [Order.model_validate_json(line) for line in fh if line.strip()]
    orders.sort(key=lambda o: o.created_at)
    recent = RecentOrders()
    parts = []
    for start in range(0, len(orders), CHUNK):
        chunk = orders[start : start + CHUNK]
        parts.append(order_feature_frame(chunk, ref, recent, parsed_adcodes(chunk)))
    frame = pd.concat(parts, ignore_index=True)
    labels = pd.DataFrame(
        {"order_id": [o.order_id for o in orders], "created_at": [o.created_at for o in orders]}
    )
    raw = pd.read_csv(data_dir / "labels.csv", dtype=str, keep_default_na=False)
    raw["rank"] = raw["code"].map({c: i for i, c in enumerate(CODES)})
    first = raw.sort_values("rank").drop_duplicates(["order_id", "type"])
    wide = first.pivot(index="order_id", columns="type", values="code")
    labels = labels.join(wide, on="order_id")
    labels["n_labels"] = labels["order_id"].map(raw.groupby("order_id").size()).fillna(0)
    return frame, labels


def evaluate(model: IssueModel, frame: pd.DataFrame, labels: pd.DataFrame) -> dict[str, Any]:
    """Held-out metrics on the rows the model scores (rows with missing features go to rules)."""
    scored = ~model.required_missing(frame)
    preds = model.predict_frame(frame[scored])
    truth = labels.loc[scored, model.issue_type].fillna("").astype(str).to_numpy()
    y = truth != ""
    score = preds["score"].to_numpy()
    flag = score >= model.threshold
    clean = labels.loc[scored, "n_labels"].to_numpy() == 0
    precision, recall, _ = precision_recall_curve(y, score)
    out: dict[str, Any] = {
        "n_scored": int(scored.sum()),
        "n_to_rules": int((~scored).sum()),
        "n_positive": int(y.sum()),
        "threshold": model.threshold,
        "precision": _safe_div((flag & y).sum(), flag.sum()),
        "recall": _safe_div((flag & y).sum(), y.sum()),
        "pr_auc": float(average_precision_score(y, score)) if y.any() else float("nan"),
        "recall_at_p90": float(recall[precision >= GATE_PRECISION].max()),
        "clean_flagged": _safe_div((flag & clean).sum(), clean.sum()),
        "codes": {},
    }
    code_cols = [c for c in codes_of(model.issue_type) if c in preds.columns]  # type: ignore[arg-type]
    best = np.array(code_cols)[preds[code_cols].to_numpy().argmax(axis=1)] if code_cols else None
    for code in codes_of(model.issue_type):  # type: ignore[arg-type]
        yc = truth == code
        hit = flag & (best == code) if best is not None else np.zeros_like(flag)
        col = preds[code].to_numpy() if code in preds.columns else np.zeros(len(preds))
        out["codes"][code] = {
            "n_positive": int(yc.sum()),
            "precision": _safe_div((hit & yc).sum(), hit.sum()),
            "recall": _safe_div((hit & yc).sum(), yc.sum()),
            "pr_auc": float(average_precision_score(yc, col)) if yc.any() else float("nan"),
        }
    out["gates"] = {
        "recall": out["recall"] >= GATE_RECALL,
        "precision": out["precision"] >= GATE_PRECISION,
        "clean_flagged": out["clean_flagged"] <= GATE_CLEAN_FLAGGED,
    }
    out["gates_passed"] = all(out["gates"].values())
    return out


def _safe_div(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def report_metrics(report: dict[str, Any]) -> dict[str, float]:
    """MLflow metric names: per type at top level, per code as ``<CODE>.<metric>``."""
    flat = {
        k: v for k, v in report.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    for code, vals in report["codes"].items():
        flat.update({f"{code}.{k}": v for k, v in vals.items()})
    return flat


def train_issue_models(
    data_dir: Path,
    registry: RegistryPort | None,
    types: Sequence[str] = ORDER_MODEL_TYPES,
    frame_and_labels: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    params: dict[str, Any] | None = None,
    feedback: Mapping[str, ExtraRows] | None = None,
) -> dict[str, Any]:
    """Fit, evaluate on the held-out last ``HOLDOUT`` in time, and register one model per type.

    ``params`` override the LightGBM defaults (a challenger's hyper-parameters); ``feedback``
    holds per type the reviewers' verdicts as training rows (``training.feedback``), which join
    the fit, never the held-out gates. Returns a report per type; with ``registry=None`` the
    fitted model is included under ``"model"`` instead.
    """
    frame, labels = frame_and_labels or build_training_frame(Path(data_dir))
    cut = int(len(frame) * (1 - HOLDOUT))
    results: dict[str, Any] = {}
    for issue_type in types:
        spec = FEATURE_SETS[issue_type]
        sign = {f: 1 for f in spec.get("increasing", [])} | {
            f: -1 for f in spec.get("decreasing", [])
        }
        monotone = [sign.get(f, 0) for f in spec["features"]]
        model = IssueModel(
            issue_type,
            spec["features"],
            required=spec["required"],
            params={**DEFAULT_PARAMS, **(params or {}), "monotone_constraints": monotone},
        )
        train = ~model.required_missing(frame.iloc[:cut])
        target = labels[issue_type] if issue_type in labels else pd.Series(None, index=labels.index)
        codes = target.iloc[:cut][train]
        extra = (feedback or {}).get(issue_type)
        model.fit(
            blank_optional_inputs(frame.iloc[:cut][train], codes, issue_type), codes, extra=extra
        )
        report = evaluate(model, frame.iloc[cut:], labels.iloc[cut:])
        report["n_train"] = int(train.sum())
        if extra is not None and len(extra.frame):
            report["feedback"] = feedback_agreement(model, extra)
        model.metrics = report_metrics(report)
        model.metrics.update({f"feedback_{k}": v for k, v in report.get("feedback", {}).items()})
        result: dict[str, Any] = {"report": report, "gates_passed": report["gates_passed"]}
        params = {**model.params, "features": json.dumps(spec["features"]), "holdout": HOLDOUT}
        if registry is None:
            result["model"] = model
        else:
            result["version"] = registry.log_and_register(
                MODEL_NAMES[issue_type],
                model,
                model.metrics,
                params,
                report,
                report["gates_passed"],
            )
        results[issue_type] = result
    return results
