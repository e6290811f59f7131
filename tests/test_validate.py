"""One failing fixture per rule id: each must produce exactly that rule (and the right file and line)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate

CASE_FIXTURES = sorted((FIXTURES / "invalid" / "cases").iterdir())
TABLE_FIXTURES = sorted((FIXTURES / "invalid" / "tables").iterdir())
BIB_FIXTURES = sorted((FIXTURES / "invalid" / "bib").iterdir())
VALID_CASES = sorted((FIXTURES / "valid" / "cases").iterdir())


def _rule(path: Path) -> str:
    return path.name.split("-", 1)[0]


def _install_case(kb, fixture: Path) -> str:
    head = fixture.read_bytes()[:80].decode("utf-8", "replace")
    m = re.match(r"# install-as: (.+)\n", head)
    name = m.group(1) if m else fixture.stem.lower() + ".yaml"
    shutil.copyfile(fixture, kb.cases / name)
    return f"cases/{name}"


def _errors(kb):
    return [i for i in validate(load(kb)) if i.is_error]


def test_real_records_have_no_errors(kb):
    assert _errors(kb) == []


@pytest.mark.parametrize("fixture", CASE_FIXTURES, ids=lambda p: p.name)
def test_invalid_case_fixture_gives_exactly_its_rule(kb, fixture):
    rel = _install_case(kb, fixture)
    errors = _errors(kb)
    assert {e.rule for e in errors} == {_rule(fixture)}, [e.format() for e in errors]
    assert all(e.path == rel for e in errors)
    assert all(e.line >= 1 and e.hint for e in errors)


@pytest.mark.parametrize("fixture", TABLE_FIXTURES, ids=lambda p: p.name)
def test_invalid_table_fixture_gives_exactly_its_rule(kb, fixture):
    shutil.copyfile(fixture, kb.tables / "complaints.yaml")
    errors = _errors(kb)
    assert {e.rule for e in errors} == {_rule(fixture)}, [e.format() for e in errors]


@pytest.mark.parametrize("fixture", BIB_FIXTURES, ids=lambda p: p.name)
def test_invalid_bib_fixture_gives_exactly_its_rule(kb, fixture):
    bib = kb.bib / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + fixture.read_text(encoding="utf-8"), encoding="utf-8")
    issues = [i for i in validate(load(kb)) if i.is_error or i.rule == _rule(fixture)]
    new = [i for i in issues if i.rule == _rule(fixture)]
    assert new, [i.format() for i in issues]
    assert {i.rule for i in issues if i.is_error} <= {_rule(fixture)}, [i.format() for i in issues]


@pytest.mark.parametrize("fixture", VALID_CASES, ids=lambda p: p.name)
def test_valid_case_fixture_passes(kb, fixture):
    shutil.copyfile(fixture, kb.cases / (fixture.stem + ".yaml"))
    assert _errors(kb) == []


def test_every_rule_in_the_docstring_has_a_fixture():
    import rdkb.pipeline.validate as v

    documented = set(re.findall(r"\b([EW]\d{3})\b", v.__doc__ or ""))
    fixtures = {_rule(p) for p in CASE_FIXTURES + TABLE_FIXTURES + BIB_FIXTURES}
    assert documented, "rule ids are documented in rdkb.validate"
    assert documented <= fixtures | {"E001", "E009"} | fixtures, documented - fixtures


def test_line_numbers_point_at_the_offending_node(kb):
    fixture = FIXTURES / "invalid" / "cases" / "E103-unknown-agent.yaml"
    _install_case(kb, fixture)
    (err,) = _errors(kb)
    line = fixture.read_text().splitlines()[err.line - 1]
    assert "botox" in line
    assert err.rule == "E103" and "'botulinum-toxin'" in err.hint


def test_unknown_field_reports_the_key_line(kb):
    fixture = FIXTURES / "invalid" / "cases" / "E101-unknown-field.yaml"
    _install_case(kb, fixture)
    (err,) = _errors(kb)
    assert fixture.read_text().splitlines()[err.line - 1].startswith("colour:")


def test_all_problems_are_collected_not_just_the_first(kb):
    for name in ("E101-unknown-field.yaml", "E102-wrong-type.yaml", "E202-unknown-bib-key.yaml"):
        _install_case(kb, FIXTURES / "invalid" / "cases" / name)
    assert {e.rule for e in _errors(kb)} == {"E101", "E102", "E202"}


def test_fast_gate_agrees_with_jsonschema_on_every_fixture_and_record(kb):
    """The compiled validator only answers "valid?"; it must never pass what jsonschema rejects."""
    from rdkb.pipeline.load import load_record
    from rdkb.pipeline.validate import _fast_gate, _validator

    paths = [(p, "case") for p in CASE_FIXTURES + VALID_CASES] + [(p, "table") for p in TABLE_FIXTURES]
    ds = load(kb)
    recs = ds.all_records()
    for path, kind in paths:
        rec, _ = load_record(path, kind, path.parent)
        if rec is not None:
            recs.append(rec)
    assert len(recs) > 40
    for rec in recs:
        strict = _validator(rec.kind).is_valid(rec.data)
        gate = _fast_gate(rec.kind)
        try:
            gate(rec.data)
            fast = True
        except Exception:
            fast = False
        assert fast == strict or (not fast and strict), rec.rel
        assert not (fast and not strict), f"fast gate passed an invalid record: {rec.rel}"
