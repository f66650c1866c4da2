"""Reading a rule file: YAML → JSON-schema check → semantic checks → compiled :class:`RuleSet`.

Every fault is reported with the file, the rule (name and position) and the key, so an
operations person can fix the file without reading code. Nothing here touches a live RuleSet:
callers swap in the result only when it loaded cleanly.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ordersight.codes import CODES, MODEL_TYPES, type_of
from ordersight.rules.engine import CHANNEL_COLUMN, compile_condition, compile_template
from ordersight.rules.model import Rule, RuleFileError, RuleSet, SuggestionSpec, Thresholds

__all__ = ["load_rules", "parse_rules", "summary"]


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    text = resources.files("ordersight.rules").joinpath("schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def load_rules(path: Path | str, known_features: set[str] | None = None) -> RuleSet:
    """Load and validate a rule file; raise :class:`RuleFileError` naming what is wrong.

    ``known_features`` (the feature table of the caller's frame) turns a misspelt feature into a
    load error instead of a rule that silently never fires.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RuleFileError(str(p), [f"cannot read file: {exc.strerror or exc}"]) from exc
    return parse_rules(data, str(p), known_features)


def parse_rules(data: bytes, source: str, known_features: set[str] | None = None) -> RuleSet:
    """:func:`load_rules` over bytes already read; the version is a hash of exactly these bytes."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleFileError(source, [f"not UTF-8 text: {exc}"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RuleFileError(source, [f"YAML syntax error at {where}{problem}"]) from exc
    problems = _schema_problems(doc)
    if problems:
        raise RuleFileError(source, problems)
    problems = list(_semantic_problems(doc, known_features))
    if problems:
        raise RuleFileError(source, problems)
    thresholds = {t: Thresholds(v["review"], v["hold"]) for t, v in doc["thresholds"].items()}
    rules = [_build(r) for r in doc["rules"]]
    version = hashlib.sha1(data).hexdigest()[:7]
    review_only = frozenset(doc.get("review_only", ()))
    auto_correct = frozenset(doc.get("auto_correct", ()))
    return RuleSet(version, thresholds, rules, source, review_only, auto_correct)


def _where(doc: Any, path: list[Any]) -> str:
    """'rule 'name' (rules[3]) at then.action' from a schema error path."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rule = doc["rules"][path[1]]
        name = rule.get("name") if isinstance(rule, dict) else None
        head = f"rule {name!r} (rules[{path[1]}])" if name else f"rules[{path[1]}]"
        rest = path[2:]
    else:
        head, rest = "file", path
    key = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in rest).lstrip(".")
    return f"{head} at {key}" if key else head


def _schema_problems(doc: Any) -> list[str]:
    if not isinstance(doc, dict):
        return ["the file must be a mapping with 'thresholds' and 'rules'"]
    out = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.path))):
        leaf: ValidationError = best_match(err.context) if err.context else err
        out.append(f"{_where(doc, list(leaf.absolute_path))}: {leaf.message}")
    return list(dict.fromkeys(out))


def _leaves(cond: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("all", "any"):
        if key in cond:
            for i, c in enumerate(cond[key]):
                yield from _leaves(c, f"{path}.{key}[{i}]")
            return
    if "not" in cond:
        yield from _leaves(cond["not"], f"{path}.not")
        return
    yield path, cond


def _placeholders(message: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]


def _semantic_problems(doc: dict[str, Any], known: set[str] | None) -> Iterator[str]:
    for t, v in doc["thresholds"].items():
        if v["review"] > v["hold"]:
            yield f"file at thresholds.{t}: review {v['review']} is above hold {v['hold']}"
    listed = doc.get("review_only", [])
    review_only = set(listed)
    for i, code in enumerate(listed):
        if code not in CODES:
            yield f"file at review_only[{i}]: unknown issue code {code!r} (see ordersight/codes.py)"
    for i, code in enumerate(doc.get("auto_correct", [])):
        if code not in review_only:
            yield (
                f"file at auto_correct[{i}]: {code} is not review_only; only a code that never"
                " holds an order can pass one"
            )
    names = Counter(r["name"] for r in doc["rules"])
    for i, r in enumerate(doc["rules"]):
        at = f"rule {r['name']!r} (rules[{i}])"
        if names[r["name"]] > 1:
            yield f"{at} at name: {names[r['name']]} rules share this name; names must be unique"
        code = r["code"]
        if code not in CODES:
            yield f"{at} at code: unknown issue code {code!r} (see ordersight/codes.py)"
        elif type_of(code) != r["type"]:
            yield f"{at} at code: {code} is a {type_of(code)} code, the rule's type is {r['type']}"
        fallback = r.get("fallback", r["level"] == "fallback")
        if r["level"] == "fallback" and not fallback:
            yield f"{at} at fallback: a level 'fallback' rule cannot set fallback: false"
        if fallback and r["type"] not in MODEL_TYPES:
            yield f"{at} at type: fallback rules stand in for a model; {r['type']} has none"
        then = r["then"]
        hold = doc["thresholds"][r["type"]]["hold"]
        if then["action"] == "hold" and code in review_only:
            yield f"{at} at then.action: {code} is review_only, so its rules cannot hold orders"
        elif then["action"] == "review" and then["score"] >= hold and code not in review_only:
            yield (
                f"{at} at then.score: {then['score']} reaches the {r['type']} hold threshold"
                f" {hold}, so this review rule would hold orders; lower it or use action: hold"
            )
        chain = list(_suggestion_chain(then.get("suggestion"), "then.suggestion"))
        templates = [("then.message", then["message"])]
        templates += [(f"{key}.field", sug["field"]) for key, sug in chain]
        fields: list[tuple[str, str]] = []
        for key, text in templates:
            try:
                named = _placeholders(text)
            except ValueError as exc:
                yield f"{at} at {key}: bad template ({exc}); write literal braces as {{{{ }}}}"
                continue
            for f in named:
                if not f.isidentifier():
                    yield f"{at} at {key}: placeholder {{{f}}} must be a feature name"
            fields += [(key, f) for f in named if f.isidentifier()]
        if known is None:
            continue
        used = [(f"when{p}.feature", leaf["feature"]) for p, leaf in _leaves(r["when"], "")]
        used += [
            (f"when{p}.ref", leaf["ref"]) for p, leaf in _leaves(r["when"], "") if "ref" in leaf
        ]
        used += fields
        used += [(f"{key}.value_from", s["value_from"]) for key, s in chain if "value_from" in s]
        if "channels" in r:
            used.append(("channels", CHANNEL_COLUMN))
        for key, feat in used:
            if feat not in known:
                yield f"{at} at {key}: unknown feature {feat!r}"


def _suggestion_chain(sug: dict[str, Any] | None, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A suggestion and those it falls back to (``otherwise``), each with its path in the rule."""
    while sug is not None:
        yield key, sug
        sug, key = sug.get("otherwise"), f"{key}.otherwise"


def _suggestion(sug: dict[str, Any] | None) -> SuggestionSpec | None:
    if sug is None:
        return None
    return SuggestionSpec(
        sug["field"],
        sug.get("value_from"),
        sug.get("value"),
        compile_template(sug["field"]),
        _suggestion(sug.get("otherwise")),
    )


def _build(r: dict[str, Any]) -> Rule:
    then = r["then"]
    return Rule(
        name=r["name"],
        level=r["level"],
        type=r["type"],
        code=r["code"],
        when=r["when"],
        action=then["action"],
        score=float(then["score"]),
        message=then["message"],
        suggestion=_suggestion(then.get("suggestion")),
        enabled=r.get("enabled", True),
        fallback=r.get("fallback", r["level"] == "fallback"),
        channels=frozenset(r["channels"]) if "channels" in r else None,
        description=r.get("description", ""),
        mask=compile_condition(r["when"]),
        template=compile_template(then["message"]),
    )


def summary(ruleset: RuleSet) -> dict[str, Any]:
    """What `ordersight rules check` prints: version, rule counts, thresholds."""
    active = ruleset.active
    return {
        "source": ruleset.source,
        "version": ruleset.version,
        "rules": len(ruleset.rules),
        "enabled": len(active),
        "by_level": dict(Counter(str(r.level) for r in active)),
        "by_type": dict(Counter(r.type for r in active)),
        "by_action": dict(Counter(r.action for r in active)),
        "thresholds": {
            t: {"review": v.review, "hold": v.hold} for t, v in ruleset.thresholds.items()
        },
        "review_only": sorted(ruleset.review_only),
        "auto_correct": sorted(ruleset.auto_correct),
    }
