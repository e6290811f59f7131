"""Site-wide figures and the pages built on them: the executive summary and the literature-vs-survey comparison.

Every figure carries its denominator and its not-reported count; nothing on these pages is typed by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import case, cause, claim, literature, question, series, survey, table
from rdkb.kinds.base import Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.kinds.case import CaseView
from rdkb.kinds.table import TablesView
from rdkb.model import Dataset

NOT_REPORTED = "not reported"

# The names the condition goes by, each as the title of the work cited for it words it (a test checks the title), with
# what the work says of its scope. The home page lists those whose work is in the bibliography.
NAMES: tuple[tuple[str, str, str], ...] = (
    ("runner's dystonia", "wu2006", ""),
    ("task-specific lower extremity dystonia", "katz2013", ""),
    ("repetitive exercise dystonia", "cutsforthgregory2016", "runners and other athletes"),
    ("loss of leg coordination while running", "davis2015summary",
     "the runners' name, called distinct from runner's dystonia"),
)


def condition_names(refs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The names of NAMES whose work is in the bibliography (refs: bib key -> reference)."""
    return [{"name": n, "ref": ref, "note": note} for n, ref, note in NAMES if ref in refs]


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



def literature_figures(runners: Mapping[str, Any], lit: Any, review_papers: set[str]) -> dict[str, Any]:
    """The reports that describe patients, from the synthesis' runner bounds (rdkb.kinds.question: the one place the
    reports are counted and the range is computed); the new ones are those outside the review."""
    keys = sorted(runners["per_report"])
    new = [k for k in keys if k not in review_papers]
    return {"n_reports": len(keys), "n_new_reports": len(new), "new_reports": new, "n_overlaps": len(lit.overlaps),
            "searched": lit.searched}


@dataclass(frozen=True)
class SummaryView:
    figures: dict[str, Any]  # over every case record; figures["review"]: over the review's own cases; ["literature"]
    comparison: dict[str, Any]


def derive(ds: Dataset, views: Views) -> SummaryView:
    cases = views.view(case.KIND).cases
    t = views.view(table.KIND)
    s = views.view(survey.KIND)
    cl = views.view(claim.KIND)
    figures = case_figures(cases, t.complaint_rows, t.treatment_rows, t.agents)
    figures["review"] = case_figures([c for c in cases if c.in_review], t.complaint_rows, t.treatment_rows, t.agents)
    figures["literature"] = literature_figures(views.view(question.KIND).runners, views.view(literature.KIND),
                                               {c.paper for c in cases if c.in_review})
    return SummaryView(figures, comparison(cases, t, s.rows, s.data, cl.claims))


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    base = claim.base_records(ctx)
    causes = list(ctx.view(cause.KIND).causes)
    cause_rels = [c["rel"] for c in causes]
    out = [
        PagePlan("summary.md", "summary.md.j2", {
            "c": v.comparison, "agg": ctx.view(survey.KIND).aggregates, "claims": {c["id"]: c for c in ctx.view(claim.KIND).claims},
            "causes": causes, "leading": [c for c in causes if c["rating"] == "leading-candidate"],
            "records": base + cause_rels, "changed": ctx.newest(base + cause_rels)},
            Nav("Executive summary", "Executive summary", "one printable page to hand to a doctor"), since="0.2"),
        PagePlan("comparison.md", "comparison.md.j2", {"c": v.comparison, "records": base, "changed": ctx.newest(base)},
                 Nav("Runner survey", "Literature vs survey", "published cases against surveyed runners, side by side"), since="0.2"),
    ]
    lit = ctx.view(literature.KIND)
    if lit.protocol:
        sv = ctx.view(series.KIND)
        lf = v.figures["literature"]
        new_series = [s for s in sv.series if s["paper"] in set(lf["new_reports"])]
        by_agent: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for s in new_series:
            for t in s["treatments"]:
                by_agent.setdefault(t["agent"], []).append((s, t))
        rels = [s["rel"] for s in sv.series] + list(lit.rels) + base
        out.append(PagePlan("literature/since-review.md", "literature/since-review.md.j2", {
            "lf": lf, "new_series": new_series, "by_agent": sorted(by_agent.items()), "records": rels,
            "changed": ctx.newest(rels)},
            Nav("Literature", "Since the review", "the review's cases against the whole literature to date"), since="0.5"))
    return out


def printed(pdf: str, page: str) -> OutFile:
    """A page printed to PDF once the site is built (pipeline/build.py, pipeline/pdf.py); render writes nothing for it.
    `page` is the page's Markdown path (e.g. summary.md); the OutFile holds the built page's URL path (summary/)."""
    stem = page.removesuffix(".md")
    return OutFile(pdf, "print", "" if stem == "index" else stem.removesuffix("/index") + "/")


def _summary_pdf(ctx: Context) -> list[OutFile]:
    return [printed("executive-summary.pdf", "summary.md")]


KIND: Kind[SummaryView] = Kind(
    name="summary", derive=derive, pages=pages,
    exports=(Export("executive-summary.pdf", "PDF (A4, at most two pages)", "printed page",
                    "the executive summary printed by Chromium with the site's print stylesheet", _summary_pdf, since="0.2"),),
    description="site-wide figures, summary and comparison")
