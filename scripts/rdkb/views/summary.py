"""Site-wide figures and the pages built on them: the executive summary and the literature-vs-survey comparison.

Every figure carries its denominator and its not-reported count; nothing on these pages is typed by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import case, cause, claim, survey, table
from rdkb.kinds.base import Context, Kind, Nav, PagePlan, Views
from rdkb.kinds.case import CaseView
from rdkb.kinds.table import TablesView
from rdkb.model import Dataset

NOT_REPORTED = "not reported"


def _count(values: list[bool | None]) -> dict[str, int]:
    return {"yes": sum(1 for v in values if v is True), "no": sum(1 for v in values if v is False),
            "not_reported": sum(1 for v in values if v is None), "total": len(values)}


def case_figures(cases: Sequence[CaseView], complaint_rows: Sequence[dict[str, Any]], treatment_rows: Sequence[dict[str, Any]],
                 agents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts shown on the site. Each carries its denominator and its not-reported count."""
    ages_onset = sorted(c.age_onset for c in cases if c.age_onset is not None)
    return {
        "n_cases": len(cases),
        "n_papers": len({c.paper for c in cases}),
        "per_paper": dict(sorted(Counter(c.paper for c in cases).items())),
        "adequately_described": _count([c.adequately_described for c in cases]),
        "foot_or_ankle_cases": _count([c.foot_or_ankle for c in cases]),
        "spread_walking": _count([c.spread_walking for c in cases]),
        "spread_other": _count([c.spread_other for c in cases]),
        "rest_tremor": _count([c.rest_tremor for c in cases]),
        "parkinsons": _count([c.parkinsons for c in cases]),
        "sex": dict(sorted(Counter(c.sex for c in cases).items())),
        "outcome": dict(sorted(Counter(c.outcome or NOT_REPORTED for c in cases).items())),
        "onset_known": len(ages_onset),
        "onset_min": ages_onset[0] if ages_onset else None,
        "onset_max": ages_onset[-1] if ages_onset else None,
        "n_complaint_rows": len(complaint_rows),
        "complaint_foot_or_ankle": sum(1 for r in complaint_rows if r["foot_or_ankle"]),
        "complaint_toes": sum(1 for r in complaint_rows if r["toes"]),
        "complaint_not_foot": [r for r in complaint_rows if not r["foot_or_ankle"]],
        "n_treatment_rows": len(treatment_rows),
        "n_agents": len([a for a in agents if a["n_rows"]]),
        "rows_attributed": sum(1 for r in [*treatment_rows, *complaint_rows] if r["case"]),
    }


def _agg(survey: dict[str, Any]) -> dict[str, Any]:
    return {a["id"]: a for a in survey.get("aggregates", [])}


def comparison(cases: tuple[CaseView, ...], tables: TablesView, srows: tuple[dict[str, Any], ...], survey: dict[str, Any],
               claims: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """Side-by-side figures, each with its denominator. Survey figures the data cannot recompute are shown as stated."""
    agg = _agg(survey)
    lit_rows = tables.complaint_rows
    review_cases = [c for c in cases if c.in_review]
    cl = {c["id"]: c for c in claims}

    def stated(key: str) -> dict[str, Any] | None:
        a = agg.get(key)
        return None if a is None else {"value": a["stated"], "of": a.get("denominator"), "source": a["source"]}

    return {
        "lit_complaints": len(lit_rows),
        "lit_foot": sum(1 for r in lit_rows if r["foot_or_ankle"]),
        "lit_hip_thigh": sum(1 for r in lit_rows if {"hip", "thigh"} & set(r["regions"])),
        "lit_toes": sum(1 for r in lit_rows if r["toes"]),
        "survey_complaints": len(srows),
        "survey_foot": sum(1 for r in srows if r["foot_or_ankle"]),
        "survey_hip_thigh": sum(1 for r in srows if r["hip_or_thigh"]),
        "survey_toes": sum(1 for r in srows if r["toes"]),
        "survey_foot_stated": stated("complaints-foot-ankle"),
        "lit_cases": len(review_cases),
        "lit_walk": _count([c.spread_walking for c in review_cases]),
        "lit_walk_stated": cl.get("spread-walking"),
        "lit_outcome": sorted(Counter(c.outcome or "not reported" for c in review_cases).items()),
        "survey_walk_triggered": stated("walking-triggered"),
        "survey_walk_severe": stated("walking-severely-impaired"),
        "survey_returned": stated("returned-without-issues"),
        "survey_continuing": stated("continuing-issues"),
        "survey_full_recovery": stated("full-recovery"),
    }



@dataclass(frozen=True)
class SummaryView:
    figures: dict[str, Any]  # over every case record; figures["review"]: over the review's own cases
    comparison: dict[str, Any]


def derive(ds: Dataset, views: Views) -> SummaryView:
    cases = views.view(case.KIND).cases
    t = views.view(table.KIND)
    s = views.view(survey.KIND)
    cl = views.view(claim.KIND)
    figures = case_figures(cases, t.complaint_rows, t.treatment_rows, t.agents)
    figures["review"] = case_figures([c for c in cases if c.in_review], t.complaint_rows, t.treatment_rows, t.agents)
    return SummaryView(figures, comparison(cases, t, s.rows, s.data, cl.claims))


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    base = claim.base_records(ctx)
    causes = list(ctx.view(cause.KIND).causes)
    cause_rels = [c["rel"] for c in causes]
    return [
        PagePlan("summary.md", "summary.md.j2", {
            "c": v.comparison, "agg": ctx.view(survey.KIND).aggregates, "claims": {c["id"]: c for c in ctx.view(claim.KIND).claims},
            "causes": causes, "leading": [c for c in causes if c["rating"] == "leading-candidate"],
            "records": base + cause_rels, "changed": ctx.newest(base + cause_rels)},
            Nav("Executive summary", "Executive summary", "one printable page to hand to a doctor"), since="0.2"),
        PagePlan("comparison.md", "comparison.md.j2", {"c": v.comparison, "records": base, "changed": ctx.newest(base)},
                 Nav("Runner survey", "Literature vs survey", "published cases against surveyed runners, side by side"), since="0.2"),
    ]


KIND: Kind[SummaryView] = Kind(name="summary", derive=derive, pages=pages, description="site-wide figures, summary and comparison")
