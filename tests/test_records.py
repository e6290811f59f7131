"""Sweep over the real records, one test id per file (kept apart from the code tests)."""

from __future__ import annotations

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
