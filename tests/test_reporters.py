"""`rdkb check --format text|json|sarif`: one result, three reporters, the same exit code."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, copy_fixture_kb
from rdkb.model import Issue
from rdkb.paths import REPO
from rdkb.report import CheckResult, JsonReporter, SarifReporter, TextReporter

ENV = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}


def _check(root, *args):
    return subprocess.run([sys.executable, "-m", "rdkb", "--root", str(root), "check", *args], capture_output=True, text=True,
                          env=ENV, check=False)


@pytest.fixture(scope="module")
def bad_kb(tmp_path_factory):
    kb = copy_fixture_kb(tmp_path_factory.mktemp("report") / "kb")
    shutil.copyfile(FIXTURES / "invalid" / "cases" / "E103-unknown-agent.yaml", kb.cases / "new2024-1.yaml")
    return kb


def test_text_json_and_sarif_report_the_same_issues_with_the_same_exit_code(bad_kb):
    text = _check(bad_kb.root)
    as_json = _check(bad_kb.root, "--format", "json")
    sarif = _check(bad_kb.root, "--format", "sarif")
    assert text.returncode == as_json.returncode == sarif.returncode == 1
    assert text.stdout == "" and " E103 " in text.stderr
    doc = json.loads(as_json.stdout)
    e103 = [i for i in doc["issues"] if i["rule"] == "E103"]
    assert e103 and e103[0]["path"] == "cases/new2024-1.yaml" and e103[0]["line"] > 1 and e103[0]["hint"]
    assert doc["errors"] == sum(1 for i in doc["issues"] if i["severity"] == "error")
    assert f"{doc['errors']} error(s), {doc['warnings']} warning(s)" in text.stderr
    run = json.loads(sarif.stdout)["runs"][0]
    assert json.loads(sarif.stdout)["version"] == "2.1.0"
    rules = run["tool"]["driver"]["rules"]
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert results == {(i["rule"], i["path"], max(1, i["line"])) for i in doc["issues"]}
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"] and r["level"] in ("error", "warning")


def test_a_clean_knowledge_base_is_an_empty_report(tmp_path):
    kb = copy_fixture_kb(tmp_path / "kb")
    proc = _check(kb.root, "--format", "json")
    assert proc.returncode == 0
    assert [i for i in json.loads(proc.stdout)["issues"] if i["severity"] == "error"] == []


def test_reporters_keep_hostile_text_as_data():
    hostile = "\x1b[31m::error::x\n<b>"
    result = CheckResult((Issue("cases/a.yaml", 3, "E101", hostile, "hint"),), "1 case(s)")
    assert "\x1b" not in TextReporter().render(result)  # the terminal form is escaped
    assert json.loads(JsonReporter().render(result))["issues"][0]["message"] == hostile  # JSON carries it as data
    assert json.loads(SarifReporter().render(result))["runs"][0]["results"][0]["message"]["text"].startswith(hostile)


def test_an_unknown_format_is_a_usage_error(tmp_path):
    assert _check(tmp_path, "--format", "xml").returncode == 2
