"""The order path's pure-Python loops compiled by mypyc (`make compile`); stale builds found.

``python -m ordersight.mypyc_build`` builds :data:`COMPILED` into extension modules beside their
source (README "Compiled modules"). Their shared runtime, ``ordersight_compiled__mypyc``, sits at
the repository root (mypyc derives each module's ``__file__`` from there), which the editable
install puts on ``sys.path`` (``make install``: setuptools' compat mode). Python imports an
extension module before the ``.py`` beside it, so a module edited after the build would go on
running its old code: the tests refuse to start then, and the service warns in its log.
"""

from __future__ import annotations

import shutil
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ordersight", "features", "models", "serving", "training")
COMPILED = (
    "features/address_text.py",
    "features/address_lexicon.py",
    "features/address_parser.py",
    "features/address_features.py",
    "features/orders.py",
    "features/duplicates.py",
    "features/channel_prices.py",
    "features/order_reference.py",
    "features/stock_ledger.py",
    "ordersight/gazetteer.py",
    "ordersight/baby_age.py",
    "ordersight/address_fields.py",
)
RUNTIME = "ordersight_compiled"  # mypyc names the shared library <this>__mypyc


def compiled_modules(root: Path = ROOT) -> dict[Path, bool]:
    """Each compiled module's source, relative to ``root`` → whether it is stale (its source was
    changed or removed after the build)."""
    found: dict[Path, bool] = {}
    for package in PACKAGES:
        for built in sorted((root / package).rglob("*.so")):
            suffix = next((s for s in EXTENSION_SUFFIXES if built.name.endswith(s)), None)
            if suffix is None or built.name.removesuffix(suffix).endswith("__mypyc"):
                continue
            source = built.with_name(built.name.removesuffix(suffix) + ".py")
            stale = not source.exists() or source.stat().st_mtime > built.stat().st_mtime
            found[source.relative_to(root)] = stale
    return found


def stale_modules(root: Path = ROOT) -> list[str]:
    """The compiled modules whose source changed after `make compile`."""
    return [str(source) for source, stale in compiled_modules(root).items() if stale]


def copy_without_build(dest: Path, root: Path = ROOT) -> Path:
    """The project's packages and rules copied to ``dest`` without their compiled modules: a tree
    where the same code runs as Python (for the tests' and the benchmarks' comparisons)."""
    for name in (*PACKAGES, "rules"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("*.so"))
    return dest


def build() -> None:
    """Compile :data:`COMPILED` in place (type-checked first: a type error fails the build)."""
    from mypyc.build import mypycify
    from setuptools import setup

    setup(
        name="ordersight-compiled",
        ext_modules=mypycify(list(COMPILED), group_name=RUNTIME, target_dir="build"),
        script_args=["build_ext", "--inplace", "--build-temp", "build/temp"],
    )


if __name__ == "__main__":
    build()
