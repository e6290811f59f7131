"""One failing fixture per rule id: each must produce exactly that rule (and the right file and line)."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES
from rdkb.paths import REPO
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate
from rdkb.ruleset import all_rules, markdown_table

CASE_FIXTURES = sorted((FIXTURES / "invalid" / "cases").iterdir())
TABLE_FIXTURES = sorted((FIXTURES / "invalid" / "tables").iterdir())
RULES = all_rules()
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


def _install(kb, fixture: Path) -> str:
    """Put a fixture where its kind lives: a case file, the complaint table, appended to the bibliography, or a
    hand-written page. First-line directives: `# install-as: <name>`, `# install-as-symlink: <name>` (a link to the
    fixture), `# remove: <path>` (delete a file instead), `% pad-to-bytes: <n>` (pad the bibliography)."""
    folder = fixture.parent.name
    first = fixture.read_bytes()[:120].decode("utf-8", "replace").split("\n", 1)[0]
    if m := re.fullmatch(r"# remove: (\S+)", first):
        (kb.root / m.group(1)).unlink()
        return m.group(1)
    if m := re.fullmatch(r"# install-as-symlink: (\S+)", first):
        (kb.cases / m.group(1)).symlink_to(fixture.resolve())
        return f"cases/{m.group(1)}"
    if folder == "cases":
        return _install_case(kb, fixture)
    if folder == "tables":
        shutil.copyfile(fixture, kb.tables / "complaints.yaml")
        return "tables/complaints.yaml"
    if folder == "literature":
        target = re.fullmatch(r"# install-as: (\S+)", first).group(1)
        dest = kb.root / "literature" / target
        dest.parent.mkdir(exist_ok=True)
        if target == "candidates.yaml" and dest.is_file():  # the fixture's candidates join the screened ones
            entries = textwrap.dedent(fixture.read_text(encoding="utf-8").split("candidates:\n", 1)[1])
            dest.write_text(dest.read_text(encoding="utf-8").rstrip("\n") + "\n" + entries, encoding="utf-8")
        else:
            shutil.copyfile(fixture, dest)
        return f"literature/{target}"
    if m := re.fullmatch(r"# append-to: (\S+)", first):  # list items appended to a single-file record's list
        target = kb.root / m.group(1)
        target.write_text(target.read_text(encoding="utf-8").rstrip("\n") + "\n" + fixture.read_text(encoding="utf-8"),
                          encoding="utf-8")
        return m.group(1)
    if folder in ("content", "series", "references_cache", "questions"):
        name = fixture.name.lower()
        dest = kb.root / folder
        dest.mkdir(exist_ok=True)
        shutil.copyfile(fixture, dest / name)
        return f"{folder}/{name}"
    assert folder == "bib", fixture
    bib = kb.bib / "references.bib"
    text = bib.read_text(encoding="utf-8") + "\n" + fixture.read_text(encoding="utf-8")
    if m := re.fullmatch(r"% pad-to-bytes: (\d+)", first):
        text += "\n%" + "x" * int(m.group(1)) + "\n"
    bib.write_text(text, encoding="utf-8")
    return "bib/references.bib"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_fixture_giving_exactly_that_rule(warm_kb, rule, monkeypatch, real_kb_cache):
    monkeypatch.setenv("RDKB_TODAY", "2026-12-01")  # no test depends on today's date (W701)
    kb = warm_kb
    fixture = FIXTURES / "invalid" / rule.fixture
    assert fixture.is_file(), f"{rule.id}: missing fixture tests/fixtures/invalid/{rule.fixture}"
    assert _rule(fixture) == rule.id, "a fixture is named after its rule"
    before = set(real_kb_cache[1])  # whatever the real records already give (e.g. a new case's W403)
    rel = _install(kb, fixture)
    new = [i for i in validate(load(kb)) if i not in before]
    mine = [i for i in new if i.rule == rule.id]
    assert mine, [i.format() for i in new]
    assert all(i.path == rel and i.line >= 1 and i.hint and i.severity == rule.severity for i in mine), [i.format() for i in mine]
    assert {i.rule for i in new if i.is_error} <= {rule.id}, [i.format() for i in new if i.is_error]


def test_every_fixture_belongs_to_a_declared_rule():
    declared = {r.fixture for r in RULES}
    on_disk = {p.relative_to(FIXTURES / "invalid").as_posix() for p in (FIXTURES / "invalid").rglob("*") if p.is_file()}
    assert on_disk == declared, (on_disk - declared, declared - on_disk)


def test_contributing_rule_table_is_the_registry():
    """CONTRIBUTING.md's table between the rules markers is `python -m rdkb rules`, word for word."""
    text = (REPO.root / "CONTRIBUTING.md").read_text(encoding="utf-8")
    table = text.split("<!-- rules:begin -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert table == markdown_table(), "refresh it with: .venv/bin/python -m rdkb rules"


def test_rule_ids_are_never_string_literals_outside_their_declaration():
    """Each rule id is written once in the code: in its declare(...) call."""
    import re as _re

    pkg = REPO.root / "scripts" / "rdkb"
    for path in pkg.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in _re.finditer(r"[\"']([EW]\d{3})[\"']", line):
                assert "declare(" in line, f"{path.relative_to(REPO.root)}:{n}: rule id {m.group(1)} as a literal"


@pytest.mark.parametrize("fixture", VALID_CASES, ids=lambda p: p.name)
def test_valid_case_fixture_passes(kb, fixture):
    shutil.copyfile(fixture, kb.cases / (fixture.stem + ".yaml"))
    assert _errors(kb) == []


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
    recs = [r for r in ds.all_records() if _validator(r.kind) is not None]
    for path, kind in paths:
        rec, _ = load_record(path, kind, path.parent)
        if rec is not None:
            recs.append(rec)
    assert len(recs) > len(CASE_FIXTURES)
    for rec in recs:
        strict = _validator(rec.kind).is_valid(rec.data)
        gate = _fast_gate(rec.kind)
        assert gate is not None, f"no compiled gate for kind {rec.kind!r}"
        fast = gate(rec.data)
        assert fast == strict, f"fast gate and jsonschema disagree on {rec.rel}: fast={fast}, jsonschema={strict}"


def test_fast_gate_agrees_with_jsonschema_on_every_kind_of_broken_fact(kb):
    """Each fact of the records, with every status, without its status, value or source, with a stray value, or
    not a mapping: the compiled gate (anyOf) and jsonschema (the schema's oneOf) agree on every variant."""
    import copy

    from rdkb.pipeline.validate import _fast_gate, _validator

    ds = load(kb)
    variants, valid = 0, 0
    for rec in ds.of("case")[:6] + ds.of("series")[:3]:
        strict, gate = _validator(rec.kind), _fast_gate(rec.kind)
        for field, fact in rec.data.items():
            if not isinstance(fact, dict) or "status" not in fact:
                continue
            changed: list[object] = [None, "reported", [fact]]
            for status in ("not_reported", "absent", "reported", "unknown", None):
                for drop in (None, "value", "source", "status"):
                    v = copy.deepcopy(fact)
                    if status is not None:
                        v["status"] = status
                    if drop is not None:
                        v.pop(drop, None)
                    changed.append(v)
                changed.append({**copy.deepcopy(fact), "status": status, "value": "x"})
            for v in changed:
                data = {**copy.deepcopy(rec.data), field: v}
                fast = gate(copy.deepcopy(data))
                assert fast == strict.is_valid(data), (rec.rel, field, v)
                variants, valid = variants + 1, valid + fast
    assert variants > 500 and 50 < valid < variants - 50


def test_fast_gate_never_passes_values_json_has_no_type_for(kb):
    """Values a hostile or unusual YAML file can produce that are not JSON (a date, a set, a non-finite or huge number,
    a non-text key, bytes, booleans where numbers go): the gate answers without raising, and never "valid" where
    jsonschema says invalid."""
    import copy
    import datetime

    from rdkb.pipeline.validate import _fast_gate, _validator

    ds = load(kb)
    odd: list[object] = [datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4), {1, 2}, float("nan"),
                         float("inf"), 10**40, -(10**40), b"bytes", True, False, 1.5, {1: "x"}, {None: "x"},
                         ("a", "b"), "a\n", "", None, [None], {"status": "reported", "value": datetime.date(2020, 1, 1)}]
    checked = 0
    for rec in ds.of("case")[:3] + ds.of("series")[:2]:
        strict, gate = _validator(rec.kind), _fast_gate(rec.kind)
        for field in list(rec.data)[:12]:
            for value in odd:
                data = {**copy.deepcopy(rec.data), field: value}
                fast = gate(data)
                assert isinstance(fast, bool)
                if fast:
                    assert strict.is_valid(data), (rec.rel, field, value)
                checked += 1
            fact = rec.data[field]
            if isinstance(fact, dict) and "value" in fact:
                for value in odd:
                    data = {**copy.deepcopy(rec.data), field: {**fact, "value": value}}
                    if gate(data):
                        assert strict.is_valid(data), (rec.rel, field, value)
                    checked += 1
    assert checked > 300
