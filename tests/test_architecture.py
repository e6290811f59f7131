"""The pipeline's shape and the derive stage, on the small fixture knowledge base (tests/fixtures/kb).

- stages import only earlier stages, so a record goes load -> validate -> derive -> render and never back;
- derive returns a frozen Derived whose views are frozen; back-links, nav, downloads are computed from it;
- one field table, one vocabulary, one rule registry: each agrees with the schema;
- unit tests of the claims engine and the charts.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from conftest import copy_fixture_kb
from rdkb import fields
from rdkb.kinds import case, claim, reference, table
from rdkb.kinds.claim import derive_claims
from rdkb.paths import REPO, SCHEMA_DIR
from rdkb.pipeline.derive import Derived, derive
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate
from rdkb.registry import KINDS, NAV_SECTIONS
from rdkb.schema import generated_schema, vocabulary
from rdkb.views import charts

PKG = REPO.root / "scripts" / "rdkb"
STAGES = ["load", "validate", "derive", "render"]


@pytest.fixture(scope="module")
def fixture_derived(tmp_path_factory: pytest.TempPathFactory) -> tuple[Derived, object]:
    layout = copy_fixture_kb(tmp_path_factory.mktemp("arch") / "kb")
    ds = load(layout)
    assert not [i for i in validate(ds) if i.is_error]
    return derive(ds, vocabulary(), layout), ds


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_each_stage_imports_no_later_stage():
    """A case record's path from file to page visits the stages in order and never returns to an earlier one."""
    for i, stage in enumerate(STAGES):
        imported = _imports(PKG / "pipeline" / f"{stage}.py")
        for later in STAGES[i + 1:]:
            assert f"rdkb.pipeline.{later}" not in imported, f"pipeline/{stage}.py imports the later stage {later}"


def test_kinds_and_views_never_import_render_or_write_files():
    """Only render writes: kinds, views and interop compute; they neither import render nor open files for writing."""
    for folder in ("kinds", "views", "interop"):
        for path in (PKG / folder).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "rdkb.pipeline.render" not in _imports(path), path
            assert not re.search(r"\.write_(text|bytes)\(|open\([^)]*['\"][wax]b?['\"]", text), f"{path} writes a file"


def test_derived_is_frozen_and_so_is_every_view(fixture_derived):
    d, _ = fixture_derived
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.pages = ()  # type: ignore[misc]
    for name, view in d.context.views.items():
        if view is not None:
            assert dataclasses.is_dataclass(view) and view.__dataclass_params__.frozen, name
    with pytest.raises(TypeError):
        d.context.views["case"] = None  # type: ignore[index]
    assert not hasattr(d, "extra")


def test_every_kind_with_a_derive_function_has_a_view(fixture_derived):
    d, _ = fixture_derived
    assert {k.name for k in KINDS if k.derive} == set(d.context.views)


def test_backlinks_are_every_page_that_cites_a_work(fixture_derived):
    d, ds = fixture_derived
    cases = d.context.view(case.KIND)
    for c in cases.cases:
        for key in c.cites:
            assert (f"cases/{c.id}.md", f"Case {c.id}") in d.context.backlinks[key]
    for name, text in ds.content_pages.items():
        for _, key in reference.content_citations(text):
            assert any(page == name for page, _ in d.context.backlinks[key])
    planned = {p.path for p in d.pages}
    assert all(page in planned for links in d.context.backlinks.values() for page, _ in links)


def test_nav_lists_exactly_the_pages_that_declare_a_section(fixture_derived):
    d, _ = fixture_derived
    in_nav = [path for _, items in d.nav for _, path in items]
    assert sorted(in_nav) == sorted(p.path for p in d.pages if p.nav is not None)
    assert [s for s, _ in d.nav] == [s for s in NAV_SECTIONS if s in {s for s, _ in d.nav}]


def test_downloads_page_lists_every_export_written_and_nothing_else(fixture_derived):
    d, _ = fixture_derived
    page = next(p for p in d.pages if p.path == "downloads.md")
    listed = {row["path"] for row in page.context["downloads"]}
    written = {f.path for f in d.files}
    assert listed <= written
    exports = [e for k in KINDS for e in k.exports]
    assert len(page.context["downloads"]) == sum(1 for e in exports if e.build(d.context))
    data_files = {p for p in written if p.startswith("data/")}
    patterns = [re.escape(row["path"]).replace(re.escape(Path(row["path"]).stem), "[^/]+") for row in page.context["downloads"]]
    assert all(any(re.fullmatch(pat, f) for pat in patterns) for f in data_files), "a data file the Downloads page does not describe"


def test_changelog_names_only_pages_and_downloads_that_exist(fixture_derived):
    d, _ = fixture_derived
    page = next(p for p in d.pages if p.path == "downloads.md")
    text = " ".join(page.context["changelog"])
    for row in page.context["downloads"]:
        assert row["name"] in text
    assert "Pages: " in text


def test_field_table_agrees_with_the_case_schema():
    assert fields.check_against_schema() == []
    header = fields.csv_header()
    assert header[:3] == ["id", "paper", "in_review"] and len(set(header)) == len(header)


def test_vocabulary_and_schema_enums_agree():
    vocab = vocabulary()
    committed = json.loads((SCHEMA_DIR / "case.schema.json").read_text())["$defs"]
    assert "enum" not in committed["agent"], "vocabulary enums are generated, not kept in the schema file"
    defs = generated_schema("case.schema.json")["$defs"]
    assert defs["intervention"]["properties"]["kind"]["enum"] == list(vocab["intervention_kinds"])
    assert defs["agent"]["enum"] == list(vocab["agents"])
    assert defs["response"]["enum"] == list(vocab["responses"])
    assert defs["bodyRegion"]["enum"] == list(vocab["body_regions"])
    table_schema = json.dumps(json.loads((SCHEMA_DIR / "review-table.schema.json").read_text()))
    for word in re.findall(r'"enum": \[([^\]]*)\]', table_schema):
        values = json.loads("[" + word + "]")
        if set(values) & set(vocab["agents"]):
            assert values == list(vocab["agents"])


def test_every_registered_kind_has_its_folder_schema_and_templates():
    for k in KINDS:
        if k.schema:
            assert (SCHEMA_DIR / k.schema).is_file(), k.name
        if k.folder:
            assert (REPO.root / k.folder).is_dir(), k.name


def test_templates_used_by_pages_exist(fixture_derived):
    d, _ = fixture_derived
    for p in d.pages:
        if p.template:
            assert (REPO.templates / p.template).is_file(), p.template


# ---------------------------------------------------------------- the claims engine

def _tables(rows: list[dict]) -> table.TablesView:
    return table.TablesView((), tuple(rows), (), {}, {}, {})


def test_claims_engine_counts_the_reviews_cases_only():
    objs = [{"id": "a-1", "paper": "a", "in_review": True, "sex": "female"},
            {"id": "a-2", "paper": "a", "in_review": True, "sex": None},
            {"id": "b-1", "paper": "b", "in_review": False, "sex": "female"}]
    src = {"ref": "x", "locator": "y"}
    specs = [{"id": "n", "statement": "s", "source": src, "quote": "q", "stated": 2, "derive": {"metric": "cases"}},
             {"id": "women", "statement": "s", "source": src, "quote": "q", "stated": 2,
              "derive": {"metric": "cases", "where": {"sex": "female"}}},
             {"id": "papers", "statement": "s", "source": src, "quote": "q", "stated": 2, "derive": {"metric": "papers"}},
             {"id": "agents", "statement": "s", "source": src, "quote": "q", "stated": 8, "derive": {"metric": "distinct_agents"}}]
    rows = [{"agents": ["levodopa"], "response": "none", "case": None}, {"agents": ["levodopa", "baclofen"], "response": "mild", "case": None}]
    out = {c["id"]: c for c in derive_claims(specs, objs, _tables(rows), [])}
    assert out["n"]["derived"] == 2 and out["n"]["agrees"] is True  # b-1 is not one of the review's cases
    assert out["women"]["derived"] == 1 and out["women"]["not_reported"] == 1 and out["women"]["agrees"] is None
    assert out["papers"]["derived"] == 1 and out["papers"]["agrees"] is False
    assert out["agents"]["derived"] == 2 and out["agents"]["agrees"] is False


def test_claims_of_the_fixture_kb_are_recomputed_from_its_records(fixture_derived):
    d, _ = fixture_derived
    cases = d.context.view(case.KIND)
    claims = {c["id"]: c for c in d.context.view(claim.KIND).claims}
    assert claims["cases-total"]["derived"] == sum(1 for c in cases.cases if c.in_review)
    assert claims["papers-total"]["derived"] == len({c.paper for c in cases.cases if c.in_review})


# ---------------------------------------------------------------- charts

def test_charts_state_denominators_that_match_the_data(fixture_derived):
    d, _ = fixture_derived
    cases = d.context.view(case.KIND).cases
    tables = d.context.view(table.KIND)
    out = {c["file"]: c for c in d.context.view(charts.KIND).charts}
    onset = out["charts/age-at-onset.svg"]
    known = sum(1 for c in cases if c.age_onset is not None)
    assert f"known for {known} of {len(cases)} cases" in onset["caption"]
    assert f"{len(tables.treatment_rows)} regimens" in out["charts/responses-by-agent.svg"]["caption"]
    assert f"{len(tables.complaint_rows)} literature complaint rows" in out["charts/complaint-regions.svg"]["caption"]
    for ch in out.values():
        assert ch["svg"].startswith("<svg") and "<title" in ch["svg"] and "<desc" in ch["svg"]


def test_bar_labels_carry_their_numbers():
    svg = charts.grouped_bars("T", [("g1", 0), ("g2", 0)], [("s", [3, 1], 4)], "note")
    assert "s: 3 of 4" in svg and "s: 1 of 4" in svg
    assert "g1, s: 3 of 4; g2, s: 1 of 4" in svg


def test_bench_synthetic_cases_follow_the_field_table_and_validate(tmp_path):
    from rdkb.tools.bench import make_kb

    layout = make_kb(tmp_path / "kb", 12)
    ds = load(layout, use_cache=False)
    assert [i.format() for i in validate(ds) if i.is_error] == []
    synth = [r for r in ds.of("case") if r.id.startswith("synth")]
    assert len(synth) == 12
    for f in fields.CASE_FIELDS:
        assert all(f.name in r.data for r in synth), f.name
        assert any(r.data[f.name]["status"] == "reported" for r in synth), f.name
