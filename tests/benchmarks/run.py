"""`make bench`: one table, each row a figure and its ratio to a baseline measured in the same run.

Each bench module exposes ``run() -> list[dict]`` with keys figure, value, unit, baseline,
baseline_value, ratio (and optionally target). Modules that cannot run here say why and are
skipped; the table still prints.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from rich.console import Console
from rich.table import Table

MODULES = ("bench_scoring", "bench_address", "bench_forecast")


def main() -> None:
    # piped to a file or a CI log, rich would wrap the table at 80 columns, a word a line
    console = Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title="OrderSight benchmarks (ratios measured in the same run)")
    for col in ("figure", "value", "baseline", "baseline value", "ratio", "target"):
        table.add_column(
            col, justify="right" if col in {"value", "baseline value", "ratio"} else "left"
        )
    for name in MODULES:
        console.rule(name)
        try:
            rows = importlib.import_module(f"tests.benchmarks.{name}").run()
        except Exception:
            console.print(f"[red]{name} failed[/red]\n{traceback.format_exc()}")
            continue
        for row in rows:
            unit = row.get("unit", "")
            table.add_row(
                row["figure"],
                f"{row['value']:,.3g} {unit}",
                row.get("baseline", ""),
                f"{row['baseline_value']:,.3g} {unit}"
                if row.get("baseline_value") is not None
                else "",
                f"{row['ratio']:.2f}×" if row.get("ratio") is not None else "",
                row.get("target", ""),
            )
    console.print(table)


if __name__ == "__main__":
    main()
