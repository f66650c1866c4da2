"""Address parsing speed against cpca and jionlp (bench-only extra) on the same addresses.

Addresses are built from the gazetteer in the shapes orders use (full, short forms, name and
phone pasted in front, separators) so no tool is measured on text it was tuned for.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from features.address import analyse, parse_address, parse_addresses
from ordersight.gazetteer import DISTRICT, load_gazetteer
from serving.heap import freeze_startup_heap

N_SINGLE, N_BATCH = 2_000, 20_000


def sample_addresses(n: int, seed: int = 5) -> list[str]:
    gaz = load_gazetteer()
    rng = random.Random(seed)
    districts = gaz.of_level(DISTRICT)
    out = []
    for _ in range(n):
        r = rng.choice(districts)
        p, c, d = gaz.names(r.adcode)
        parts = [p, c if c != p else None, d if d != c else None]
        if rng.random() < 0.3:
            parts = [gaz.lookup(x)[0].short if x else x for x in parts]
        sep = rng.choice(["", " ", "-"])
        text = (
            sep.join(x for x in parts if x) + f"{rng.choice('文建解人')}路{rng.randrange(1, 999)}号"
        )
        if rng.random() < 0.2:
            text = f"张三 138{rng.randrange(10**8):08d} {text}"
        out.append(text)
    return out


def _rate(fn: Callable[[Sequence[str]], object], texts: Sequence[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


def _ours_single(texts: Sequence[str]) -> None:
    analyse.cache_clear()  # every address parsed from scratch, as a cold single call
    for t in texts:
        parse_address(t)


def _ours_batch(texts: Sequence[str]) -> None:
    analyse.cache_clear()
    parse_addresses(texts)


def run() -> list[dict]:
    import cpca

    parse_address("浙江省杭州市西湖区")  # build the index outside the timing
    cpca.transform(["浙江省杭州市西湖区"])
    freeze_startup_heap()  # the collector as the service sets it, whatever ran in this process
    single, batch = sample_addresses(N_SINGLE), sample_addresses(N_BATCH, seed=6)
    ours_single, ours_batch = _rate(_ours_single, single), _rate(_ours_batch, batch)
    cpca_single = _rate(lambda ts: [cpca.transform([t]) for t in ts], single[:300])
    cpca_batch = _rate(lambda ts: cpca.transform(list(ts)), batch)
    rows = [
        _row("address parse, single (addr/s)", ours_single, "cpca single", cpca_single),
        _row("address parse, batch (addr/s)", ours_batch, "cpca batch", cpca_batch),
    ]
    try:
        import jionlp
    except ImportError:
        return rows
    jionlp.parse_location("浙江省杭州市西湖区")
    jio = _rate(lambda ts: [jionlp.parse_location(t) for t in ts], single[:500])
    rows.append(_row("address parse, single (addr/s)", ours_single, "jionlp single", jio, "≥ 10×"))
    return rows


def _row(figure: str, value: float, baseline: str, base: float, target: str = "") -> dict:
    return {"figure": figure, "value": value, "unit": "addr/s", "baseline": baseline,
            "baseline_value": base, "ratio": value / base, "target": target}  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
