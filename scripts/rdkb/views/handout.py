"""Two pages to print and hand over: a one-page patient handout and a two-page clinician summary (also shipped as PDFs).

Every figure is taken from the summary view's computations (rdkb.views.summary), never typed; the treatment
responses keep their units apart (regimens of the review's table, case records, series as each report states them);
each page lists the full citation of every work it cites. Neither page lists record files when printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import cause, claim, literature, question, reference, series, survey
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset
from rdkb.views import summary

HANDOUT_PAGE = "handout.md"
CLINICIAN_PAGE = "clinician-summary.md"

# The figures the handout prints, each named once and read from the summary view (figures f, comparison c).
HANDOUT_FIGURES: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Any]] = {
    "review_cases": lambda f, c: f["review"]["n_cases"],
    "review_papers": lambda f, c: f["review"]["n_papers"],
    "searched": lambda f, c: f["literature"]["searched"],
    "survey_hip_thigh": lambda f, c: c["survey_hip_thigh"],
    "survey_runners": lambda f, c: c["survey_complaints"],
}

# The handout's fill-in section: (label, prompt, blank lines, tick boxes).
FILL_IN: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("Side affected", "", 0, ("left", "right", "both", "it changes")),
    ("Age and date at onset", "how old were you, and when (month, year) did you first notice it?", 1, ()),
    ("Triggers", "speed, surface (track, road, treadmill, trail), distance or time into a run, fatigue, shoes, races", 2, ()),
    ("What helps", "stopping, slowing down, rough ground, short breaks, time off", 2, ()),
    ("What was tried", "treatments, exercises, rest, medicines, injections, and the effect of each", 3, ()),
    ("Other activities affected", "walking, stairs, cycling, swimming, other sports", 1, ()),
)

HANDOUT_CITES = ("davis2015review",)
CLINICIAN_CITES = ("davis2015review", "bozi2003", "chang2013")


@dataclass(frozen=True)
class HandoutView:
    figures: Mapping[str, Any]  # HANDOUT_FIGURES, computed
    fill_in: tuple[dict[str, Any], ...]
    key_figures: tuple[dict[str, Any], ...]  # clinician summary: label, value (with its denominator)
    workup: tuple[dict[str, Any], ...]  # one row per proposed cause: the review's verdict and the tests it discusses
    treatments: tuple[dict[str, Any], ...]  # the synthesis' treatment entries: review-table regimens, case records, series
    handout_refs: tuple[str, ...]  # bib keys each page cites, in the order listed
    clinician_refs: tuple[str, ...]  # numbered in this order; series outcomes cite them as [n]



# The printed clinician summary stays within two pages as reports are added: per treatment it prints at most this many
# series-level outcomes (the first, in the synthesis' order) and says how many more its agent page lists.
SERIES_PRINTED = 3


def shown_series(t: dict[str, Any]) -> dict[str, Any]:
    """A synthesis treatment entry with the series outcomes the clinician summary prints (`shown`; for a procedure, those
    not given with a drug) and how many more its agent page lists (`more`)."""
    own = [lv for lv in t["levels"][2:] if not (t.get("kind") == "procedure" and lv.get("with"))]
    return {**t, "shown": own[:SERIES_PRINTED], "more": max(0, len(own) - SERIES_PRINTED)}

def _onset(r: Mapping[str, Any]) -> str:
    if not r["onset_known"]:
        return f"{summary.NOT_REPORTED} (for all {r['n_cases']} of the review's cases)"
    span = f"{r['onset_min']:g}" if r["onset_min"] == r["onset_max"] else f"{r['onset_min']:g} to {r['onset_max']:g}"
    return f"{span} years (known for {r['onset_known']} of {r['n_cases']} of the review's cases)"


def key_figures(f: Mapping[str, Any], c: Mapping[str, Any], agg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The clinician summary's other figures (the clinical questions' figures come from the synthesis, rdkb.kinds.question),
    each with its denominator."""
    r = f["review"]
    rows = [
        {"label": "Hip or thigh involved", "value": f"{c['lit_hip_thigh']} of {c['lit_complaints']} described complaints (the "
                                                   f"review's complaint table); mentioned by {c['survey_hip_thigh']} of the "
                                                   f"{c['survey_complaints']} runners of its survey"},
        {"label": "Age at onset", "value": _onset(r)},
    ]
    return rows


def workup_rows(causes: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Each proposed cause with the review's verdict and the tests it discusses ('not reported' when it names none)."""
    return [{"id": c["id"], "name": c["name"], "rating": c["rating_label"], "by": c["verdict_by_label"],
             "leading": c["rating"] == "leading-candidate",
             "tests": [t["name"] for t in c["tests"]]} for c in causes]


def derive(ds: Dataset, views: Views) -> HandoutView:
    sv = views.view(summary.KIND)
    f, c = sv.figures, sv.comparison
    refs = views.view(reference.KIND)
    clinician = [k for k in CLINICIAN_CITES if k in refs.by_key]
    syn = views.view(question.KIND).by_id
    tr = next((q for q in syn.values() if q["treatments"]), None)  # the per-treatment question of the synthesis
    treatments = tuple(shown_series(x) for x in tr["treatments"]) if tr else ()
    series_papers = {lv["paper"] for x in treatments for lv in x["shown"]}
    clinician += sorted(series_papers - set(clinician), key=lambda k: (refs.short(k).lower(), k))
    return HandoutView(
        figures={name: get(f, c) for name, get in HANDOUT_FIGURES.items()},
        fill_in=tuple({"label": label, "prompt": prompt, "lines": lines, "choices": choices}
                      for label, prompt, lines, choices in FILL_IN),
        key_figures=tuple(key_figures(f, c, views.view(survey.KIND).aggregates)),
        workup=tuple(workup_rows(views.view(cause.KIND).causes)),
        treatments=treatments,
        handout_refs=tuple(k for k in HANDOUT_CITES if k in refs.by_key),
        clinician_refs=tuple(clinician),
    )


def cites(v: HandoutView) -> list[Citation]:
    return ([(k, HANDOUT_PAGE, "Patient handout") for k in v.handout_refs]
            + [(k, CLINICIAN_PAGE, "Clinician summary") for k in v.clinician_refs])


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    refs = ctx.view(reference.KIND).by_key
    base = claim.base_records(ctx)
    causes = [x["rel"] for x in ctx.view(cause.KIND).causes]
    series_rels = [s["rel"] for s in ctx.view(series.KIND).series]
    lit_rels = list(ctx.view(literature.KIND).rels)
    handout_records = base + series_rels + lit_rels
    clinician_records = base + causes + series_rels + lit_rels
    return [
        PagePlan(HANDOUT_PAGE, "handout.md.j2", {
            "h": v.figures, "fill_in": list(v.fill_in), "refs": [refs[k] for k in v.handout_refs],
            "records": handout_records, "changed": ctx.newest(handout_records)},
            Nav("Executive summary", "Patient handout", "one printed page for a runner to take to the doctor, with space for "
                "their own history"), since="0.6"),
        PagePlan(CLINICIAN_PAGE, "clinician-summary.md.j2", {
            "key_figures": list(v.key_figures), "workup": list(v.workup), "treatments": list(v.treatments),
            "refs": [refs[k] for k in v.clinician_refs], "ref_no": {k: i for i, k in enumerate(v.clinician_refs, 1)},
            "records": clinician_records,
            "changed": ctx.newest(clinician_records)},
            Nav("Executive summary", "Clinician summary", "two printed pages: figures with denominators, red flags, work-up "
                "and treatment responses"), since="0.6"),
    ]


def _handout_pdf(ctx: Context) -> list[OutFile]:
    return [summary.printed("handout.pdf", HANDOUT_PAGE)]


def _clinician_pdf(ctx: Context) -> list[OutFile]:
    return [summary.printed("clinician-summary.pdf", CLINICIAN_PAGE)]


KIND: Kind[HandoutView] = Kind(
    name="handout", derive=derive, cites=cites, pages=pages,
    exports=(Export("handout.pdf", "PDF (A4, one page)", "printed page",
                    "the patient handout: what the condition is, what the records show, when to see a neurologist, a "
                    "fill-in section for the runner's own history, full citations and the site's address",
                    _handout_pdf, since="0.6"),
             Export("clinician-summary.pdf", "PDF (A4, at most two pages)", "printed page",
                    "the clinician summary: figures with denominators, red flags, differential and work-up, treatment "
                    "responses by unit, full citations and the site's address", _clinician_pdf, since="0.6")),
    description="the patient handout and the clinician summary (printed to PDF)")
