"""The evidence synthesis (rdkb.kinds.question): one answer per clinical question, every evidence level side by side.

Tests pin relations over whatever records exist (the real ones, or a fixture knowledge base with a few added), never
today's numbers.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import copy_fixture_kb
from rdkb.kinds import question
from rdkb.paths import Layout
from rdkb.pipeline.build import build
from rdkb.pipeline.derive import derive
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import SCHEMA_DIR, validate, vocabulary
from rdkb.tools import figurecheck

DATA_Q = re.compile(r'data-q="([^"]+)"( data-form="brief")?[^>]*>([^<]*)<')


@pytest.fixture(scope="module")
def real(built: Layout) -> Layout:
    """The real records built once for the session (conftest's `built`): the pages the figure check walks."""
    return built


def _synthesis(layout: Layout) -> dict:
    return json.loads((layout.build_docs / "data" / "synthesis.json").read_text(encoding="utf-8"))


def _empty(lv: dict) -> bool:
    return lv["level"] == "cases" and lv.get("not_reported") == lv.get("n")


def _levels(syn: dict) -> list[dict]:
    return [lv for q in syn["questions"] for lv in q["levels"] + [x for t in q["treatments"] for x in t["levels"]]]


# ---------------------------------------------------------------- the synthesis itself


def test_synthesis_json_follows_its_published_schema(real):
    schema = json.loads((SCHEMA_DIR / "synthesis.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_synthesis(real), schema)
    assert (real.site / "schemas" / "synthesis.schema.json").is_file()


def test_every_question_record_is_in_the_synthesis_with_its_evidence(real):
    syn = {q["id"]: q for q in _synthesis(real)["questions"]}
    ds = load(real)
    assert set(syn) == {r.id for r in ds.of("question")}
    for rec in ds.of("question"):
        q = syn[rec.id]
        kinds = {lv["level"] for lv in q["levels"]}
        if rec.data.get("cases"):
            assert "cases" in kinds or q["treatments"]
        for ref in rec.data.get("series", []):
            assert any(lv["id"] == f"{rec.id}:series:{ref['series']}:{ref['fact']}" for lv in q["levels"])
        for ref in rec.data.get("review", []):
            kind, rid = next(iter(ref.items()))
            assert any(lv["id"] == f"{rec.id}:{'review' if kind == 'claim' else 'survey'}:{rid}" for lv in q["levels"])


def test_levels_are_never_pooled_each_has_its_unit_and_population(real):
    for lv in _levels(_synthesis(real)):
        assert lv["unit"] and lv["population"] and lv["level_label"]
        if lv["level"] == "cases" and lv.get("not_reported") is not None:  # k of n, with the not reported count
            assert lv["text"] in (f"{lv['k']} of {lv['n']} (not reported: {lv['not_reported']})",
                                  f"not reported for any of {lv['n']}")
        if lv.get("k") is not None and lv.get("n") is not None:
            assert lv["k"] <= lv["n"]


def test_case_level_counts_each_patient_once(real):
    from rdkb.kinds import case

    cv = derive(load(real), vocabulary(), real).context.view(case.KIND)
    ids = {c.id for c in cv.cases}
    for q in _synthesis(real)["questions"]:
        for lv in q["levels"]:
            if lv["level"] == "cases":
                assert lv["n"] == cv.n_patients  # case records joined by a same_patient_as link count once
                assert set(lv["cases"]) <= ids and lv["k"] <= len(lv["cases"])


def test_linked_records_count_as_one_patient(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    d = derive(load(layout), vocabulary(), layout)
    before = d.context.view(question.KIND).by_id["parkinsons"]["levels"][0]
    f = layout.cases / "wu2006-1.yaml"
    f.write_text(f.read_text(encoding="utf-8") + "same_patient_as:\n  - case: bozi2003-2\n    certainty: possibly-same\n"
                 "    evidence: {age: test fixture}\n", encoding="utf-8")
    assert not [i.format() for i in validate(load(layout)) if i.is_error]
    after = derive(load(layout), vocabulary(), layout).context.view(question.KIND).by_id["parkinsons"]["levels"][0]
    assert after["n"] == before["n"] - 1


def test_series_levels_state_their_population(real):
    """Runners only when the series says every patient is a runner (or the figure is about its runners); mixed or not
    stated otherwise, never silently 'runners'."""
    series = {s["id"]: s for s in json.loads((real.build_docs / "data" / "series.json").read_text(encoding="utf-8"))}
    for lv in _levels(_synthesis(real)):
        if lv["level"] != "series":
            continue
        s = series[lv["id"].split(":series:")[1].split(":")[0]]
        runners, patients = s["runners"], s["patients"]
        cls = lv["population_class"]
        if cls == "runners":
            assert (runners is not None and runners == patients) or lv["population"] == "runners" and lv["id"].count(":") >= 3
        elif cls == "mixed":
            assert runners is not None and patients is not None and runners != patients and "mixed" in lv["population"]
        elif cls == "not-stated":
            assert runners is None and "not stated" in lv["population"]


# ---------------------------------------------------------------- every page reads the synthesis


def test_no_page_computes_a_covered_figure_on_its_own(real):
    assert figurecheck.violations(real.site) == {}


def test_every_synthesis_figure_on_a_page_is_the_synthesis_value(real):
    levels = {lv["id"]: lv["text"] for lv in _levels(_synthesis(real))}
    briefs = {lv["id"]: lv["brief"] for lv in _levels(_synthesis(real)) if "brief" in lv}
    runners = _synthesis(real)["runners"]
    levels.update({"runners:at_least": str(runners["at_least"]), "runners:at_most": str(runners["at_most"])})
    seen = 0
    for page in real.site.rglob("*.html"):
        for qid, brief, text in DATA_Q.findall(page.read_text(encoding="utf-8")):
            qid = html.unescape(qid)
            assert qid in levels, (page, qid)
            want = briefs[qid] if brief else levels[qid]
            assert " ".join(html.unescape(text).split()) == " ".join(want.split()), (page, qid)
            seen += 1
    assert seen >= len(levels)  # every figure is shown somewhere (at least on the synthesis page)


def test_the_key_questions_are_on_the_home_page_the_summaries_and_the_printed_pages(real):
    syn = _synthesis(real)
    for page, kind in (("index.html", "key"), ("summary/index.html", "key"), ("clinician-summary/index.html", "key"),
                       ("handout/index.html", "handout")):
        text = html.unescape((real.site / page).read_text(encoding="utf-8"))
        for q in syn["questions"]:
            wanted = q["key"] if kind == "key" else q["id"] in {r.id for r in load(real).of("question") if r.data.get("handout")}
            for lv in q["levels"]:
                if lv.get("secondary"):  # the project's recounts: on the synthesis page and their own page only
                    continue
                if page in ("index.html", "handout/index.html", "clinician-summary/index.html", "summary/index.html") and _empty(lv):
                    continue  # compact forms leave out a level with no information (no case record reports it)
                assert (f'data-q="{lv["id"]}"' in text) == wanted, (page, lv["id"])


def test_every_page_showing_the_runner_range_states_its_rule_and_scope(real):
    runners = _synthesis(real)["runners"]
    for page in real.site.rglob("*.html"):
        text = html.unescape(page.read_text(encoding="utf-8"))
        if 'data-q="runners:at_most"' in text:
            plain = " ".join(re.sub(r"<[^>]+>", "", text).split())
            assert runners["scope"] in plain, page
            assert "series included" in plain, page


def test_runner_bounds_follow_their_rule(real):
    d = derive(load(real), vocabulary(), real)
    r = d.context.view(question.KIND).runners
    assert 0 <= r["at_least"] <= r["at_most"]
    assert r["at_most"] == sum(x["described"] or 0 for x in r["per_report"].values())
    cases = d.context.view(question.KIND)
    assert cases is not None
    for key, x in r["per_report"].items():  # a report's confirmed runners are among the patients it describes
        assert x["confirmed_runners"] <= (x["described"] or 0), key


def test_series_patients_described_with_runners_dystonia_raise_the_upper_bound(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    before = derive(load(layout), vocabulary(), layout).context.view(question.KIND).runners
    s = layout.root / "series" / "wu2006.yaml"
    s.write_text(s.read_text(encoding="utf-8").replace("runners:\n", "with_runners_dystonia:\n  status: reported\n  value: 40\n"
                                                       "  source: {ref: wu2006, locator: abstract}\n  transcribed: true\nrunners:\n", 1),
                 encoding="utf-8")
    assert not [i for i in validate(load(layout)) if i.is_error]
    after = derive(load(layout), vocabulary(), layout).context.view(question.KIND).runners
    assert after["at_most"] == before["at_most"] - (before["per_report"]["wu2006"]["described"] or 0) + 40
    assert after["at_least"] == before["at_least"]  # series patients are never counted as individually described runners


# ---------------------------------------------------------------- the check can fail


def test_the_figure_check_flags_a_count_outside_the_synthesis():
    assert figurecheck.page_violations("<p>2 of 22 runners later had Parkinson's disease</p>")
    assert figurecheck.page_violations("<table><tr><td>Spread to walking</td><td>3 of 22</td></tr></table>")
    assert figurecheck.page_violations('<svg><text>returned to running</text><text>0 of 26</text></svg>', whole=True)
    assert not figurecheck.page_violations('<p>Parkinson\'s: <span data-q="parkinsons:cases">2 of 22</span></p>')
    assert not figurecheck.page_violations("<p>12 of 20 patients had surface EMG</p>")  # not a covered question


def test_a_page_that_counts_on_its_own_fails_the_check(tmp_path):
    """Build the fixture knowledge base with a template that computes a covered figure itself: the check names it."""
    layout = copy_fixture_kb(tmp_path / "kb")
    tpl = layout.templates / "summary.md.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8").replace(
        "## What it is", "{{ f.review.parkinsons.yes }} of {{ f.review.n_cases }} runners later had Parkinson's disease.\n\n"
        "## What it is", 1), encoding="utf-8")
    result = build(layout, run_mkdocs=True, strict=False, pdf=False)  # the fixture has no management page to link
    assert not result.failed, result.message
    bad = figurecheck.violations(layout.site)
    assert "summary/index.html" in bad, bad
    assert any("Parkinson" in b for b in bad["summary/index.html"])
    shutil.rmtree(layout.site)


# ---------------------------------------------------------------- treatments as regimens


def _with_regimens(tmp_path: Path) -> Layout:
    """The fixture knowledge base plus a series with a combination and a planned regimen."""
    layout = copy_fixture_kb(tmp_path / "kb")
    (layout.root / "series" / "wu2006-regimens.yaml").write_text(
        "paper: wu2006\ndesign: case-series\npatients: {status: not_reported}\nfacts: []\ntreatments:\n"
        "  - agent: baclofen\n    with: [physical-therapy]\n    treated: 1\n    improved: 1\n    unit: patients\n"
        "    source: {ref: wu2006, locator: abstract}\n"
        "  - agent: levodopa\n    status: planned\n    unit: patients\n    source: {ref: wu2006, locator: abstract}\n",
        encoding="utf-8")
    return layout


def test_a_combination_is_shown_with_every_intervention_and_planned_is_not_given(tmp_path):
    layout = _with_regimens(tmp_path)
    assert not [i.format() for i in validate(load(layout)) if i.is_error]
    v = derive(load(layout), vocabulary(), layout).context.view(question.KIND)
    entries = {t["agent"]: t for q in v.questions for t in q["treatments"]}
    names = vocabulary()["agents"]
    for agent, other in (("baclofen", "physical-therapy"), ("physical-therapy", "baclofen")):
        mine = [lv for lv in entries[agent]["levels"] if lv["level"] == "series" and other in lv.get("with", [])]
        assert mine, agent
        assert all(f"(with {names[other]})" in lv["text"] for lv in mine)
    planned = [lv for lv in entries["levodopa"]["levels"] if lv.get("status") == "planned"]
    assert planned and all(lv["k"] is None and lv["n"] is None and "not yet given" in lv["text"] for lv in planned)


def test_a_planned_regimen_with_an_outcome_is_refused(tmp_path):
    layout = _with_regimens(tmp_path)
    f = layout.root / "series" / "wu2006-regimens.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("    status: planned\n", "    status: planned\n    treated: 1\n"),
                 encoding="utf-8")
    errors = [i for i in validate(load(layout)) if i.is_error]
    assert [i.rule for i in errors] == ["E802"] and errors[0].path == "series/wu2006-regimens.yaml"


def test_procedures_reach_the_treatment_views(real):
    """Every agent or procedure a series reports has its agent page and a synthesis entry (DBS included, if recorded)."""
    syn = _synthesis(real)
    entries = {t["agent"] for q in syn["questions"] for t in q["treatments"]}
    series = json.loads((real.build_docs / "data" / "series.json").read_text(encoding="utf-8"))
    used = {a for s in series for t in s["treatments"] for a in [t["agent"], *t.get("with", [])]}
    assert used <= entries
    for agent in used:
        assert (real.site / "agents" / agent / "index.html").is_file()


def test_no_page_says_that_no_runner_returned_to_running_when_a_record_says_one_did(real):
    syn = _synthesis(real)
    ran_again = [lv for lv in _levels(syn) if lv.get("k") and ("run again" in lv.get("quote", "") or "running again" in lv["statement"])]
    if not ran_again:
        pytest.skip("no record reports a runner running again")
    pattern = re.compile(r"no (published )?(runner|case)[^.]{0,40}return(ed|s)? (fully )?to running", re.IGNORECASE)
    for page in real.site.rglob("*.html"):
        plain = " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())
        assert not pattern.search(html.unescape(plain)), page


def test_claim_denominators_are_quoted(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    f = layout.root / "claims" / "review-claims.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("  derive:\n", "  denominator: 77\n  derive:\n", 1), encoding="utf-8")
    assert [i.rule for i in validate(load(layout)) if i.is_error] == ["E803"]


def test_whose_verdict_is_said_wherever_a_verdict_is_summarised(real):
    causes = [r for r in load(real).of("cause")]
    labels = {"review": "the review's verdict", "project": "the project's judgement"}
    for page in ("causes/index.html", "clinician-summary/index.html"):
        text = html.unescape((real.site / page).read_text(encoding="utf-8"))
        default = "the review's, unless marked as the project's judgement" in text  # said once for the whole list
        for c in causes:
            by = c.data["verdict"]["by"]
            assert (by == "review" and default) or labels[by] in text, (page, c.id)
        assert any(c.data["verdict"]["by"] == "project" for c in causes) <= (labels["project"] in text)


def test_the_case_tables_unfiltered_panel_agrees_with_the_synthesis_case_level(real):
    """The figures panel recomputes for the rows a filter leaves (exempt from the figure check); unfiltered, over each
    patient once, it gives the synthesis' case-level figures."""
    from rdkb.kinds import case

    d = derive(load(real), vocabulary(), real)
    cv = d.context.view(case.KIND)
    ids = [c.id for c in question.distinct_patients(cv.cases)]
    panel = {f["name"]: f for f in case.panel_figures(cv.panel, ids)["figures"]}
    compared = 0
    for rec in load(real).of("question"):
        measure = (rec.data.get("cases") or {}).get("measure")
        if measure in panel and panel[measure]["kind"] == "share":
            lv = d.context.view(question.KIND).level(rec.id, f"{rec.id}:cases")
            yes = next(r["k"] for r in panel[measure]["rows"] if r["label"] == "yes")
            assert (yes, panel[measure]["missing"]) == (lv["k"], lv["not_reported"]), measure
            compared += 1
    assert compared or not any((r.data.get("cases") or {}).get("measure") in panel for r in load(real).of("question"))
