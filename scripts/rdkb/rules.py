"""The rule registry: every rule id is declared once, with its title, hint and failing fixture.

A rule is declared where it is checked (the loader for file-level rules, the validator for schema
rules, a kind's module for its cross-record rules) by calling `declare(...)` at import time, and is
raised with `RULE.at(rel, line, message)`. `all_rules()` lists them for CONTRIBUTING.md's table and
the site's rules page; tests check that every declared rule has its fixture and that the fixture
produces exactly that rule.
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


def all_rules() -> list[Rule]:
    """Every declared rule, sorted by id (imports every module that declares rules)."""
    import rdkb.pipeline.load  # noqa: F401  (file-level rules)
    import rdkb.pipeline.validate  # noqa: F401  (schema rules)
    import rdkb.registry  # noqa: F401  (each kind declares its rules on import)

    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def markdown_table() -> str:
    rows = ["| rule | meaning | fixture |", "|---|---|---|"]
    for r in all_rules():
        rows.append(f"| {r.id} | {r.title}{' (warning)' if r.severity == SEVERITY_WARNING else ''} | `{r.fixture}` |")
    return "\n".join(rows) + "\n"
