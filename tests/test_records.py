"""Sweep over the real records, one test id per file (kept apart from the code tests)."""

from __future__ import annotations

import json
import re

import pytest

from rdkb.paths import REPO
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate

_DS = load(REPO)
_ISSUES = validate(_DS)
_FILES = sorted({r.rel for r in _DS.all_records()} | {_DS.bib_path})


@pytest.mark.kb_data
@pytest.mark.parametrize("rel", _FILES)
def test_record_file_is_clean(rel):
    errors = [i.format() for i in _ISSUES if i.path == rel and i.is_error]
    assert errors == []


@pytest.mark.kb_data
@pytest.mark.parametrize("rec", _DS.of("case"), ids=lambda r: r.id)
def test_case_reported_facts_quote_or_cite(rec):
    for key, fact in rec.data.items():
        if isinstance(fact, dict) and fact.get("status") == "reported" and "value" in fact:
            assert fact["source"]["ref"] in _DS.references, key


@pytest.mark.kb_data
def test_review_cases_match_the_per_paper_counts_of_appendix_a():
    """The review's own cases, per paper, are as many as the bibliography says its Appendix A lists (`reviewcases`)."""
    from collections import Counter

    in_review = Counter(r.data["paper"] for r in _DS.of("case") if r.data["in_review"])
    stated = {k: int(r.get("reviewcases")) for k, r in _DS.references.items() if r.get("reviewcases").isdigit()}
    assert stated and in_review == stated


# ---------------------------------------------------------------- curation errors that must not come back

def _rec(kind, rid):
    rec = _DS.one(kind, rid)
    assert rec is not None, rid
    return rec.data


@pytest.mark.kb_data
def test_no_case_is_more_certain_than_its_source():
    mc = _rec("case", "mcclinton2012-1")
    assert mc["body_regions"]["status"] == "not_reported", "loose wording is not a body region (as for the Bozi cases)"
    graded = [t for t in mc["treatments"].get("items", []) if "limited success" in t.get("response_wording", "")]
    assert graded and all(t["response"] != "yes" for t in graded), "a graded response is not coded as an ungraded 'yes'"
    for cid in ("chang2013-1", "chang2013-2", "chang2013-3"):
        assert not any(p["hpo"] == "HP:0001300" and p.get("excluded") for p in _rec("case", cid).get("phenotypes", [])), cid
    assert "kn" in json.dumps(_rec("case", "wu2006-3")), "the cut-off source row is said to be cut off"


@pytest.mark.kb_data
def test_no_cause_is_rated_beyond_the_review():
    ratings = {r.id: r.data["verdict"]["rating"] for r in _DS.of("cause")}
    assert ratings["running-form"] != "unlikely" and ratings["vascular-supply"] != "unlikely"
    assert ratings["somatic-disorder"] != "ruled-out"
    assert "excludes" not in json.dumps(_rec("cause", "focal-dystonia")).lower()
    v = _rec("cause", "labral-tear-fai")["verdict"]
    assert "arthroscop" not in (v["summary"] + v["text"]).lower(), "the review names no arthroscopy in its verdict"
    assert all(r.data["verdict"].get("review_wording") for r in _DS.of("cause"))


@pytest.mark.kb_data
def test_clinical_pages_keep_the_reviews_hedges():
    red = _DS.content_pages["red-flags.md"]
    assert "many" in red.lower() and "most runners" not in red.lower()
    # Chang & Josephs' figures come from the evidence synthesis (one answer per question), never typed on the page
    assert "synthesis.md#parkinsons" in red and not re.search(r"\b\d+ developed Parkinson", " ".join(red.split()))
    assert "corticobasal" in red.lower()
    assert "seem" in _DS.content_pages["management.md"] and "shared three habits" not in _DS.content_pages["management.md"]
