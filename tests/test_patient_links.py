"""The same patient in two reports (case field `same_patient_as`) and the access ledger (literature/access.yaml).

Each test works on a copy of the small fixture knowledge base, so the real records can change without breaking it.
"""

from __future__ import annotations

from pathlib import Path

from conftest import copy_fixture_kb
from rdkb.kinds import case, literature
from rdkb.pipeline.derive import derive
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate, vocabulary

LINK = """same_patient_as:
  - case: {other}
    certainty: {certainty}
    evidence: {{age: "fixture: ages fit", institution: "fixture: same clinic"}}
"""


def _link(layout_root: Path, case_id: str, other: str, certainty: str = "possibly-same") -> None:
    path = layout_root / "cases" / f"{case_id}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + LINK.format(other=other, certainty=certainty), encoding="utf-8")


def _rules(layout) -> list[str]:
    return [i.rule for i in validate(load(layout)) if i.is_error]


def test_a_linked_patient_is_counted_once(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    _link(layout.root, "wu2006-1", "mcclinton2012-1")
    ds = load(layout)
    assert not [i for i in validate(ds) if i.is_error]
    view = derive(ds, vocabulary(), layout).context.view(case.KIND)
    assert view.n_patients == len(view.cases) - 1
    assert ("mcclinton2012-1", "wu2006-1") in view.patients
    assert view.n_patients_certain == len(view.cases)  # a 'possibly-same' link is not counted as certain
    assert view.by_id["wu2006-1"].same_patient_as[0]["certainty"] == "possibly-same"


def test_a_link_to_an_unknown_case_or_to_itself_is_refused(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    _link(layout.root, "wu2006-1", "nosuch-1")
    assert "E209" in _rules(layout)
    layout2 = copy_fixture_kb(tmp_path / "kb2")
    _link(layout2.root, "wu2006-1", "wu2006-1", certainty="same")
    assert "E209" in _rules(layout2)


def test_a_link_needs_evidence_and_a_known_certainty(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    path = layout.root / "cases" / "wu2006-1.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "same_patient_as:\n  - case: mcclinton2012-1\n    certainty: likely\n",
                    encoding="utf-8")
    assert set(_rules(layout)) & {"E103", "E104", "E105", "E102"}


def test_the_access_ledger_names_known_works_once(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    (layout.root / "literature").mkdir(exist_ok=True)
    entry = ("  - key: {key}\n    role: case paper\n    access: abstract\n    read:\n"
             "      - {{level: abstract, url: 'https://example.org/x', date: '2026-12-04'}}\n    not_reachable: [full text]\n")
    body = "as_of: '2026-12-04'\nentries:\n" + "".join(entry.format(key=k) for k in ("wu2006", "wu2006", "nosuchwork"))
    (layout.root / "literature" / "access.yaml").write_text(body, encoding="utf-8")
    issues = [i for i in validate(load(layout)) if i.rule == "E703"]
    messages = " ".join(i.message for i in issues)
    assert "'nosuchwork' is not in" in messages and "'wu2006' has a ledger entry already" in messages


def test_a_background_source_of_the_ledger_declares_its_bib_entry(tmp_path):
    """A work quoted outside the records (the standard differential) is kept on purpose once the ledger names it a
    background source; any other role does not declare an uncited entry."""
    layout = copy_fixture_kb(tmp_path / "kb")
    (layout.root / "literature").mkdir(exist_ok=True)
    entry = ("  - key: mckeon2008\n    role: {role}\n    access: abstract\n    read:\n"
             "      - {{level: abstract, url: 'https://example.org/x', date: '2026-12-04'}}\n    not_reachable: [full text]\n")
    ledger = layout.root / "literature" / "access.yaml"

    def uncited(role: str) -> list[str]:
        ledger.write_text("as_of: '2026-12-04'\nentries:\n" + entry.format(role=role), encoding="utf-8")
        return [i.message for i in validate(load(layout)) if i.rule == "W301" and "mckeon2008" in i.message]

    assert uncited("background source") == []
    assert uncited("included report")


def test_the_ledger_view_sums_levels(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    (layout.root / "literature").mkdir(exist_ok=True)
    (layout.root / "literature" / "access.yaml").write_text(
        "as_of: '2026-12-04'\nentries:\n"
        "  - key: wu2006\n    role: case paper\n    access: full-text-excerpt\n    read:\n"
        "      - {level: table, url: 'https://example.org/t', date: '2026-12-04'}\n    not_reachable: [rows 4-5]\n",
        encoding="utf-8")
    ds = load(layout)
    ledger = derive(ds, vocabulary(), layout).context.view(literature.ACCESS)
    assert dict((k, n) for k, _, n in ledger.summary)["full-text-excerpt"] == 1
    assert ledger.by_key["wu2006"]["read"][0]["level_label"] == "a table of the full text"
    assert ledger.not_reachable == (("wu2006", "rows 4-5"),)


def test_an_unspecified_leg_leaves_foot_or_ankle_unknown():
    assert case.foot_or_ankle(("leg",)) is None
    assert case.foot_or_ankle(("leg", "hip")) is None
    assert case.foot_or_ankle(("leg", "foot")) is True
    assert case.foot_or_ankle(("knee",)) is False
    assert case.foot_or_ankle(None) is None
