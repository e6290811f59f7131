"""The differential work-up page (causes/workup.md): one row per cause, derived from the cause records.

Rows, signs and tests are compared with the records they come from, never with counts of real records.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import copy_fixture_kb
from rdkb.kinds.cause import DIAGNOSIS_RATING, HALLMARKS, cause_views, name_key, workup
from rdkb.paths import REPO, Layout
from rdkb.pipeline.build import build
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate

_DS = load(REPO)
_CAUSES = cause_views(_DS.of("cause"))
_W = workup(_CAUSES)
_BY_ID = {c["id"]: c for c in _CAUSES}


def _rows():
    return (*_W.diagnoses, *_W.alternatives)


# ---------------------------------------------------------------- derived from the real records


def test_one_row_per_cause_and_the_diagnosis_is_the_leading_candidate():
    ids = [r.id for r in _rows()]
    assert len(ids) == len(set(ids)), "a cause has two rows"
    assert set(ids) == set(_BY_ID), "every cause record has a row, and no row lacks a record"
    assert {r.id for r in _W.diagnoses} == {c["id"] for c in _CAUSES if c["rating"] == DIAGNOSIS_RATING}
    assert [r.id for r in _W.alternatives] == [c["id"] for c in _CAUSES if c["rating"] != DIAGNOSIS_RATING], \
        "alternatives keep the review's order"


def test_no_test_twice_in_a_row_and_none_lost():
    for r in _rows():
        keys = [name_key(t.name) for t in r.tests]
        assert len(keys) == len(set(keys)), f"{r.id}: a test appears twice in its row"
        record_tests = _BY_ID[r.id]["tests"]
        assert set(keys) == {name_key(t["name"]) for t in record_tests}, r.id
        assert sum(len(t.uses) for t in r.tests) == len(record_tests), f"{r.id}: a use of a test was dropped"


def test_signs_are_the_hallmarks_the_review_argues_plus_the_records_own_signs():
    for r in _rows():
        c = _BY_ID[r.id]
        from_hallmarks = {(s.hallmark, s.direction) for s in r.signs if s.hallmark}
        argued = {(m["key"], "against" if m["effect"] == "contradicts" else "fits")
                  for m in c["hallmarks"] if m["effect"] != "not-addressed"}
        assert from_hallmarks == argued, r.id
        assert [s.quote for s in r.signs if not s.hallmark] == [s["quote"] for s in c["separating_signs"]], r.id
        directions = [s.direction for s in r.signs]
        assert directions == sorted(directions, key=lambda d: d != "against"), f"{r.id}: 'against' signs come first"
        for s in r.signs:
            assert s.reasoning and s.source.get("ref"), f"{r.id}: a sign without reasoning or source"


def test_a_fitting_feature_the_diagnosis_also_fits_is_marked_as_not_separating():
    diagnosis_fits = {m["key"] for d in _W.diagnoses for m in _BY_ID[d.id]["hallmarks"] if m["effect"] == "explains"}
    for r in _W.alternatives:
        for s in r.signs:
            shared = s.hallmark in diagnosis_fits and s.direction == "fits"
            assert bool(s.shared_with) == shared, (r.id, s.hallmark)
    for r in _W.diagnoses:
        assert not any(s.shared_with for s in r.signs), "the diagnosis is not compared with itself"


def test_shared_tests_list_every_cause_that_names_them():
    named: dict[str, list[str]] = {}
    for c in _CAUSES:
        for key in dict.fromkeys(name_key(t["name"]) for t in c["tests"]):
            named.setdefault(key, []).append(c["id"])
    expected = {k: ids for k, ids in named.items() if len(ids) > 1}
    assert {name_key(t.name): [cid for cid, _ in t.causes] for t in _W.shared_tests} == expected


# ---------------------------------------------------------------- derivation rules on small inputs


def _cause(cid, rating="unlikely", tests=(), effects=None, order=1):
    marks = [{"key": k, "title": t, "effect": (effects or {}).get(k, "not-addressed"), "reasoning": f"why {k}",
              "source": {"ref": "davis2015review"}, "note": ""} for k, t in HALLMARKS]
    return {"id": cid, "name": cid.title(), "rating": rating, "rating_label": rating, "verdict_by_label": "the review's verdict", "hallmarks": marks,
            "tests": [{"name": n, "purpose": p, "source": {"ref": "davis2015review"}} for n, p in tests],
            "separating_signs": [], "order": order}


def test_a_test_named_twice_in_one_record_is_one_entry_with_both_uses():
    w = workup([_cause("a", tests=[("MRI", "first"), ("mri ", "second"), ("EMG", "third")])])
    (row,) = w.alternatives
    assert [t.name for t in row.tests] == ["MRI", "EMG"]
    assert [u.purpose for u in row.tests[0].uses] == ["first", "second"]


def test_without_a_leading_candidate_every_cause_is_an_alternative():
    w = workup([_cause("a", effects={"worse-at-speed": "explains"}), _cause("b", tests=[("MRI", "x")])])
    assert not w.diagnoses and [r.id for r in w.alternatives] == ["a", "b"]
    assert not any(s.shared_with for r in w.alternatives for s in r.signs)
    assert w.shared_tests == ()


def test_only_a_feature_the_diagnosis_fits_is_marked_shared():
    d = _cause("d", rating=DIAGNOSIS_RATING, effects={"worse-at-speed": "explains"})
    a = _cause("a", effects={"worse-at-speed": "explains", "stops-soon-after-stopping": "explains",
                             "no-sensory-symptoms": "contradicts"})
    w = workup([d, a])
    signs = {s.hallmark: s for s in w.alternatives[0].signs}
    assert signs["worse-at-speed"].shared_with == ("D",)
    assert signs["stops-soon-after-stopping"].shared_with == ()
    assert signs["no-sensory-symptoms"].direction == "against" and not signs["no-sensory-symptoms"].shared_with


# ---------------------------------------------------------------- the rendered page (fixture KB)


def _table_rows(page: str, caption_start: str) -> list[list[str]]:
    """Body rows of the Markdown table whose caption starts with caption_start, split into cells."""
    block = page[page.index("Table: " + caption_start):]
    lines = block.splitlines()[1:]
    rows, started = [], False
    for line in lines:
        if line.startswith("|"):
            started = True
            rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
        elif started:
            break
    return rows[2:]  # header and rule


def _cause_ids(rows: list[list[str]]) -> list[str]:
    return [re.search(r'id="cause-([a-z0-9-]+)"', r[0]).group(1) for r in rows]


def _test_names(cell: str) -> list[str]:
    return re.findall(r'<span class="kb-workup-item">\*\*(.+?):\*\*', cell)


def test_fixture_page_rows_follow_the_records(fixture_built):
    page = (fixture_built.build_docs / "causes" / "workup.md").read_text(encoding="utf-8")
    ds = load(fixture_built)
    rated = {r.id: r.data["verdict"]["rating"] for r in ds.of("cause")}
    alt = _table_rows(page, "Alternative causes")
    diag = _table_rows(page, "The diagnosis being confirmed")
    ids = _cause_ids(diag) + _cause_ids(alt)
    assert sorted(ids) == sorted(rated) and len(ids) == len(set(ids))
    assert all(rated[i] == DIAGNOSIS_RATING for i in _cause_ids(diag))
    for row in diag + alt:
        names = _test_names(row[3])
        assert len(names) == len(set(names)), f"a test appears twice in a row: {names}"


@pytest.fixture(scope="module")
def edited_kb(tmp_path_factory) -> Layout:
    """The fixture KB plus three causes: one with no sign and no test, one with its own separating signs and a test
    another cause also names, and one whose name is hostile."""
    layout = copy_fixture_kb(tmp_path_factory.mktemp("workup") / "kb")
    causes = layout.root / "causes"
    base = yaml.safe_load((causes / "nerve-injury.yaml").read_text(encoding="utf-8"))
    bare = {**base, "name": "A cause with nothing to check", "order": 6, "diagnostic_tests": [],
            "hallmarks": {k: {"effect": "not-addressed"} for k, _ in HALLMARKS}}
    (causes / "bare-cause.yaml").write_text(yaml.safe_dump(bare, sort_keys=False), encoding="utf-8")
    shutil.copyfile(REPO.root / "causes" / "neurological-disease.yaml", causes / "neurological-disease.yaml")
    hostile = {**base, "name": "</td><script>alert(1)</script> | [x](javascript:alert(1))", "order": 8}
    (causes / "hostile-cause.yaml").write_text(yaml.safe_dump(hostile, sort_keys=False), encoding="utf-8")
    result = build(layout, run_mkdocs=False)
    assert not result.failed, result.message + "\n" + "\n".join(i.format() for i in result.issues if i.is_error)
    return layout


def _page(layout: Layout) -> str:
    return (layout.build_docs / "causes" / "workup.md").read_text(encoding="utf-8")


def test_a_cause_without_sign_or_test_says_not_reported(edited_kb):
    (row,) = [r for r in _table_rows(_page(edited_kb), "Alternative causes") if 'id="cause-bare-cause"' in r[0]]
    assert row[2] == "not reported" and row[3] == "not reported"


def test_a_records_own_separating_sign_is_shown_with_the_reviews_words(edited_kb):
    rec = yaml.safe_load((edited_kb.root / "causes" / "neurological-disease.yaml").read_text(encoding="utf-8"))
    (row,) = [r for r in _table_rows(_page(edited_kb), "Alternative causes") if 'id="cause-neurological-disease"' in r[0]]
    for s in rec["separating_signs"]:
        assert s["sign"].replace("'", "&#39;") in row[2]
        assert "the review's words: \"" + s["quote"].replace("(", "&#40;").replace(")", "&#41;") + "\"" in row[2]
    cause_page = (edited_kb.build_docs / "causes" / "neurological-disease.md").read_text(encoding="utf-8")
    assert all(f"| {s['sign']} | {s['effect']} |" in cause_page for s in rec["separating_signs"]), "the cause page shows them too"


def test_a_test_named_by_two_causes_is_in_both_rows_and_once_in_the_shared_table(edited_kb):
    page = _page(edited_kb)
    alt = _table_rows(page, "Alternative causes")
    with_ncs = [_cause_ids([r])[0] for r in alt if "Nerve conduction study" in _test_names(r[3])]
    assert {"nerve-injury", "neurological-disease"} <= set(with_ncs)
    shared = _table_rows(page, "Tests named for more than one cause")
    (ncs,) = [r for r in shared if r[0] == "Nerve conduction study"]
    linked = re.findall(r"\]\(([a-z0-9-]+)\.md\)", ncs[1])
    assert sorted(linked) == sorted(with_ncs) and len(linked) == len(set(linked))


def test_a_hostile_cause_name_is_inert(edited_kb):
    page = _page(edited_kb)
    assert "<script>" not in page and "</td>" not in page and "](javascript" not in page
    (row,) = [r for r in _table_rows(page, "Alternative causes") if 'id="cause-hostile-cause"' in r[0]]
    assert len(row) == 4, "the name's '|' split the row"


# ---------------------------------------------------------------- records, rules and links


def test_a_separating_sign_quote_is_checked_against_the_review(kb):
    path = kb.root / "causes" / "neurological-disease.yaml"
    text = path.read_text(encoding="utf-8")
    assert "this spread to all exercise and soon affected walking, too" in text
    path.write_text(text.replace("this spread to all exercise and soon affected walking, too",
                                 "this always spread to walking at once"), encoding="utf-8")
    bad = [i for i in validate(load(kb)) if i.rule == "E601" and i.path == "causes/neurological-disease.yaml"]
    assert bad, "a separating sign's quote that is not the review's words must be refused"


def test_a_separating_sign_needs_a_locator_and_a_quote(kb):
    path = kb.root / "causes" / "neurological-disease.yaml"
    rec = yaml.safe_load(path.read_text(encoding="utf-8"))
    rec["separating_signs"][0]["source"].pop("locator")
    del rec["separating_signs"][1]["quote"]
    path.write_text(yaml.safe_dump(rec, sort_keys=False), encoding="utf-8")
    rules = {i.rule for i in validate(load(kb)) if i.path == "causes/neurological-disease.yaml" and i.is_error}
    assert rules and rules <= {"E104", "E105"}, rules


def test_a_cause_named_workup_is_refused(tmp_path: Path):
    layout = copy_fixture_kb(tmp_path / "kb")
    shutil.copyfile(layout.root / "causes" / "nerve-injury.yaml", layout.root / "causes" / "workup.yaml")
    assert [i.rule for i in load(layout).issues if i.path == "causes/workup.yaml"] == ["E015"]


def test_the_page_is_linked_from_red_flags_the_causes_index_and_every_cause_page(fixture_built):
    docs = fixture_built.build_docs
    assert "](causes/workup.md)" in _DS.content_pages["red-flags.md"], "content/red-flags.md links to the work-up"
    assert "](workup.md)" in (docs / "causes" / "index.md").read_text(encoding="utf-8")
    page = _page(fixture_built)
    for rec in load(fixture_built).of("cause"):
        text = (docs / "causes" / f"{rec.id}.md").read_text(encoding="utf-8")
        assert f"](workup.md#cause-{rec.id})" in text, rec.id
        assert f'id="cause-{rec.id}"' in page, f"the anchor of {rec.id} is on the work-up page"
