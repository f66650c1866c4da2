"""Rule-file domain types: what a loaded rule file is, independent of YAML and of pandas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ordersight.codes import IssueType
from ordersight.schema import Suggestion

RuleAction = Literal["review", "hold"]
Level = Literal[1, 2, 3, "fallback"]
# A compiled condition: the batch's column accessor in, one boolean per row out.
Mask = Callable[[Any], np.ndarray]


class RuleFileError(ValueError):
    """A rule file was rejected; ``problems`` name the rule and key of each fault."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = "\n  ".join(problems[:10])
        more = f"\n  … and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__(f"{path}: invalid rule file\n  {shown}{more}")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A type score at or above ``review`` goes to a person; at ``hold`` or above it stops."""

    review: float
    hold: float


@dataclass(frozen=True, slots=True)
class SuggestionSpec:
    """Where a rule's suggested fix comes from: a feature of the row or a fixed value. The field
    may name features too (``lines[{stage_line}].sku``: the line the rule is about). Where this
    one has no value, ``otherwise`` may offer another fix (no other warehouse: a split)."""

    field: str
    value_from: str | None = None
    value: Any = None
    template: tuple[tuple[str, str | None, str], ...] = field(default=(), compare=False, repr=False)
    otherwise: SuggestionSpec | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    level: Level
    type: IssueType
    code: str
    when: dict[str, Any]
    action: RuleAction
    score: float
    message: str
    suggestion: SuggestionSpec | None = None
    enabled: bool = True
    fallback: bool = False
    channels: frozenset[str] | None = None
    description: str = ""
    # Built once at load so that every batch only runs numpy over columns.
    mask: Mask | None = field(default=None, compare=False, repr=False)
    template: tuple[tuple[str, str | None, str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: str
    thresholds: dict[str, Thresholds]
    rules: list[Rule]
    source: str = ""
    # codes that send an order to a person at most: a score over its type's hold threshold
    # does not stop an order when every issue of that type has one of these codes
    review_only: frozenset[str] = frozenset()
    # review_only codes whose suggestion corrects the order for certain: an order with no other
    # issue passes, its issues listed for the pipeline to apply (off unless the file lists some)
    auto_correct: frozenset[str] = frozenset()

    @property
    def active(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired on one order; ``score`` is the rule's confidence for its type."""

    rule: str
    type: IssueType
    code: str
    action: RuleAction
    score: float
    message: str
    suggestion: Suggestion | None = None
