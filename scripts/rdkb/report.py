"""Reporters: how a check's result is printed. The result is one object; each format is a small class.

    rdkb check                  text on stderr: `file:line: RULE message` + hint, then the summary line
    rdkb check --format json    one JSON document on stdout: summary, counts and every issue
    rdkb check --format sarif   SARIF 2.1.0 on stdout (GitHub code scanning shows each issue on its file and line)

The exit code is the same for every format (0 clean, 1 data problems, 2 usage or internal error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from rdkb.model import SEVERITY_WARNING, Issue

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class CheckResult:
    issues: tuple[Issue, ...]
    summary: str  # what was checked, e.g. "26 case(s), ..., 55 references"

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if not i.is_error)


class TextReporter:
    name: ClassVar[str] = "text"
    to_stdout: ClassVar[bool] = False

    def render(self, result: CheckResult) -> str:
        lines = [i.format() for i in result.issues]
        lines.append(f"checked {result.summary}: {result.errors} error(s), {result.warnings} warning(s)")
        return "\n".join(lines) + "\n"


class JsonReporter:
    name: ClassVar[str] = "json"
    to_stdout: ClassVar[bool] = True

    def render(self, result: CheckResult) -> str:
        doc = {"checked": result.summary, "errors": result.errors, "warnings": result.warnings,
               "issues": [{"path": i.path, "line": i.line, "rule": i.rule, "severity": i.severity, "message": i.message,
                           "hint": i.hint} for i in result.issues]}
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


class SarifReporter:
    name: ClassVar[str] = "sarif"
    to_stdout: ClassVar[bool] = True

    def render(self, result: CheckResult) -> str:
        from rdkb.ruleset import all_rules

        rules = all_rules()
        index = {r.id: n for n, r in enumerate(rules)}
        driver: dict[str, Any] = {
            "name": "rdkb",
            "rules": [{"id": r.id, "shortDescription": {"text": r.title}, "help": {"text": r.hint},
                       "defaultConfiguration": {"level": "warning" if r.severity == SEVERITY_WARNING else "error"}}
                      for r in rules]}
        results = []
        for i in result.issues:
            res: dict[str, Any] = {
                "ruleId": i.rule, "level": "error" if i.is_error else "warning",
                "message": {"text": i.message + (f" (hint: {i.hint})" if i.hint else "")},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": i.path, "uriBaseId": "%SRCROOT%"},
                                                    "region": {"startLine": max(1, i.line)}}}]}
            if i.rule in index:
                res["ruleIndex"] = index[i.rule]
            results.append(res)
        doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}
        return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


REPORTERS = {r.name: r for r in (TextReporter, JsonReporter, SarifReporter)}


def report(result: CheckResult, fmt: str, stdout: TextIO, stderr: TextIO) -> None:
    reporter = REPORTERS[fmt]()
    (stdout if reporter.to_stdout else stderr).write(reporter.render(result))
