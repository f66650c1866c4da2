"""The rules engine: a validated YAML rule file, compiled once, evaluated over whole batches."""

from ordersight.rules.engine import OPS, auto_corrected, decide, evaluate, hit_scores
from ordersight.rules.loader import load_rules, parse_rules, summary
from ordersight.rules.model import Rule, RuleFileError, RuleHit, RuleSet, Thresholds
from ordersight.rules.store import RuleStore

__all__ = [
    "OPS",
    "Rule",
    "RuleFileError",
    "RuleHit",
    "RuleSet",
    "RuleStore",
    "Thresholds",
    "auto_corrected",
    "decide",
    "evaluate",
    "hit_scores",
    "load_rules",
    "parse_rules",
    "summary",
]
