"""The rule registry: every rule id is declared once, with its title, hint and failing fixture.

A rule is declared where it is checked (the loader for file-level rules, the validator for schema
rules, a kind's module for its cross-record rules) by calling `declare(...)` at import time, and is
raised with `RULE.at(rel, line, message)`. This module is at the bottom of the package (it imports only
the model): `rdkb.ruleset.all_rules()`, at the top, imports every module that declares rules and lists
them for CONTRIBUTING.md's table; tests check that every declared rule has its fixture and that the
fixture produces exactly that rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdkb.model import SEVERITY_ERROR, SEVERITY_WARNING, Issue

_REGISTRY: dict[str, Rule] = {}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # what is wrong, in a few words (the CONTRIBUTING table)
    hint: str  # the default hint printed under each issue
    fixture: str  # failing fixture, relative to tests/fixtures/invalid/ (e.g. "cases/E004-duplicate-key.yaml")
    severity: str = SEVERITY_ERROR

    def at(self, rel: str, line: int, message: str, hint: str | None = None) -> Issue:
        return Issue(rel, line, self.id, message, self.hint if hint is None else hint, self.severity)


def declare(rule_id: str, title: str, hint: str, fixture: str, warning: bool = False) -> Rule:
    if rule_id in _REGISTRY:
        raise ValueError(f"rule {rule_id} declared twice")
    rule = Rule(rule_id, title, hint, fixture, SEVERITY_WARNING if warning else SEVERITY_ERROR)
    _REGISTRY[rule_id] = rule
    return rule


def declared() -> list[Rule]:
    """The rules declared so far, sorted by id (rdkb.ruleset.all_rules() first imports every declaring module)."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
