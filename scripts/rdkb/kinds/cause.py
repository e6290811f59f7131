"""The cause kind: one record per proposed cause the review weighs (causes/<id>.yaml).

Pages: the causes overview, one page per cause, the hallmark matrix, the diagnostic-tests table and the
differential work-up (one row per alternative cause: the signs that separate it, the tests that check it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Record

HALLMARKS = [
    ("running-specific", "Specific to running"),
    ("worse-at-speed", "Worse at speed"),
    ("worse-on-flat-surfaces", "Worse on flat, even surfaces; better on rough terrain"),
    ("stops-soon-after-stopping", "Stops soon after stopping"),
    ("several-nerve-territories", "Several muscle groups across nerve territories"),
    ("no-sensory-symptoms", "No numbness, tingling or sharp pain"),
    ("normal-strength", "Normal strength in the weight room"),
    ("other-cyclic-activities-spared", "Other cyclic activities do not provoke it"),
]

CATEGORIES = {
    "mental-image": "Mental image of running",
    "transmission": "Transmission of commands",
    "muscular": "Muscular execution: muscular",
    "structural": "Muscular execution: structural",
    "blood-supply": "Muscular execution: blood supply",
    "proprioception": "Evaluation of motion (proprioception)",
}

RATINGS = {
    "leading-candidate": "leading candidate",
    "promising": "promising",
    "possible-contributor": "possible contributor",
    "unlikely": "unlikely",
    "not-excluded": "not excluded",
    "ruled-out": "ruled out",
}


def cause_views(causes: list[Record]) -> list[dict[str, Any]]:
    out = []
    for rec in sorted(causes, key=lambda r: (r.data.get("order", 99), r.id)):
        d = rec.data
        marks = []
        for key, title in HALLMARKS:
            h = d.get("hallmarks", {}).get(key, {})
            marks.append({"key": key, "title": title, "effect": h.get("effect", "not-addressed"),
                          "reasoning": h.get("reasoning", ""), "source": h.get("source"), "note": h.get("note", "")})
        out.append({"id": rec.id, "rel": rec.rel, "name": d["name"], "order": d.get("order"), "category": d["category"],
                    "category_label": CATEGORIES.get(d["category"], d["category"]), "category_note": d.get("category_note", ""),
                    "mechanism": d.get("mechanism", ""), "hallmarks": marks,
                    "explains": sum(1 for m in marks if m["effect"] == "explains"),
                    "contradicts": sum(1 for m in marks if m["effect"] == "contradicts"),
                    "tests": d.get("diagnostic_tests", []), "separating_signs": d.get("separating_signs", []), "treatments": d.get("treatments", []),
                    "rating": d["verdict"]["rating"], "rating_label": RATINGS.get(d["verdict"]["rating"], d["verdict"]["rating"]),
                    "verdict_by": d["verdict"].get("by", "review"),
                    "verdict_by_label": "the project's judgement" if d["verdict"].get("by") == "project" else "the review's verdict",
                    "verdict": d["verdict"], "citations": d.get("citations", []), "notes": d.get("notes", "")})
    return out


# ---------------------------------------------------------------- the differential work-up

# The review's best explanation is the diagnosis the work-up confirms; every other cause is an alternative to
# check (a "possible contributor" may coexist with it). The rating decides, never the cause's name or id.
DIAGNOSIS_RATING = "leading-candidate"
# A hallmark the cause explains "fits" it; one it is contradicted by counts "against" it. A record's own
# separating_signs say the same with supports / contradicts.
SIGN_DIRECTION = {"explains": "fits", "supports": "fits", "contradicts": "against"}


@dataclass(frozen=True)
class Sign:
    """A bedside sign (history or examination) and what it says about one cause, with the reasoning and its source."""

    feature: str  # what to look for: a hallmark's title, or the record's own separating sign
    direction: str  # "against" (counts against the cause) or "fits" (points to it)
    reasoning: str  # the project's words, from the record
    source: dict[str, Any]
    hallmark: str = ""  # hallmark key, "" for a record's own separating sign
    shared_with: tuple[str, ...] = ()  # names of the diagnosis cause(s) that fit the same hallmark: it does not separate them
    quote: str = ""  # the review's words, for a record's own separating sign (checked by make check, E601)


@dataclass(frozen=True)
class WorkupTestUse:
    purpose: str
    timing: str
    source: dict[str, Any]


@dataclass(frozen=True)
class WorkupTest:
    """One test in one row: listed once, with every use the record gives it (a repeated name is merged, never shown twice)."""

    name: str
    uses: tuple[WorkupTestUse, ...]


@dataclass(frozen=True)
class WorkupRow:
    id: str
    name: str
    rating: str
    rating_label: str
    signs: tuple[Sign, ...]  # "against" first, then "fits"; hallmarks in their order, then the record's own signs
    tests: tuple[WorkupTest, ...]


@dataclass(frozen=True)
class SharedTest:
    name: str
    causes: tuple[tuple[str, str], ...]  # (cause id, name), in the review's order


@dataclass(frozen=True)
class Workup:
    diagnoses: tuple[WorkupRow, ...]  # the cause(s) rated DIAGNOSIS_RATING
    alternatives: tuple[WorkupRow, ...]  # every other cause, one row each, in the review's order
    shared_tests: tuple[SharedTest, ...]  # tests that check more than one cause (by name)


def name_key(name: str) -> str:
    """Two test names are the same test when they differ only in case and spacing."""
    return " ".join(name.casefold().split())


def _signs(c: dict[str, Any], fits_diagnosis: dict[str, tuple[str, ...]]) -> tuple[Sign, ...]:
    out = [Sign(m["title"], SIGN_DIRECTION[m["effect"]], m["reasoning"], m["source"] or {}, m["key"],
                fits_diagnosis.get(m["key"], ()) if m["effect"] == "explains" else ())
           for m in c["hallmarks"] if m["effect"] in SIGN_DIRECTION]
    out += [Sign(s["sign"], SIGN_DIRECTION[s["effect"]], s["reasoning"], s["source"], quote=s["quote"])
            for s in c["separating_signs"]]
    return tuple(sorted(out, key=lambda s: s.direction != "against"))  # stable: keeps each group's order


def _tests(c: dict[str, Any]) -> tuple[WorkupTest, ...]:
    by_key: dict[str, tuple[str, list[WorkupTestUse]]] = {}
    for t in c["tests"]:
        entry = by_key.setdefault(name_key(t["name"]), (t["name"], []))
        entry[1].append(WorkupTestUse(t["purpose"], t.get("timing", ""), t["source"]))
    return tuple(WorkupTest(name, tuple(uses)) for name, uses in by_key.values())


def workup(causes: list[dict[str, Any]]) -> Workup:
    """One row per cause (causes are keyed by record id, so none can appear twice), split into diagnosis and alternatives."""
    diagnoses = [c for c in causes if c["rating"] == DIAGNOSIS_RATING]
    diagnosis_ids = {c["id"] for c in diagnoses}
    fits_diagnosis = {key: tuple(d["name"] for d in diagnoses
                                 if any(m["key"] == key and m["effect"] == "explains" for m in d["hallmarks"]))
                      for key, _ in HALLMARKS}
    rows = {c["id"]: WorkupRow(c["id"], c["name"], c["rating"], f"{c['rating_label']} ({c['verdict_by_label']})",
                               _signs(c, {} if c["id"] in diagnosis_ids else fits_diagnosis), _tests(c))
            for c in causes}
    shared: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for c in causes:
        for t in rows[c["id"]].tests:
            shared.setdefault(name_key(t.name), (t.name, []))[1].append((c["id"], c["name"]))
    return Workup(tuple(rows[c["id"]] for c in diagnoses), tuple(rows[c["id"]] for c in causes if c["id"] not in diagnosis_ids),
                  tuple(SharedTest(name, tuple(cs)) for name, cs in shared.values() if len(cs) > 1))


@dataclass(frozen=True)
class CausesView:
    causes: tuple[dict[str, Any], ...]  # sorted by the review's order
    cited: dict[str, tuple[str, ...]]  # cause id -> every bib key its record cites
    workup: Workup


def derive(ds: Dataset, views: Views) -> CausesView:
    recs = ds.of(KIND.name)
    causes = cause_views(recs)
    by_id = {r.id: r for r in recs}
    return CausesView(tuple(causes), {c["id"]: tuple(sorted(set(c["citations"]) | reference.cited_key_set(by_id[c["id"]].data)))
                                      for c in causes}, workup(causes))


def cites(v: CausesView) -> list[Citation]:
    return [(key, f"causes/{c['id']}.md", f"Cause: {c['name']}") for c in v.causes for key in v.cited[c["id"]]]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.causes:
        return []
    causes = list(v.causes)
    rels = [c["rel"] for c in causes]
    newest = ctx.newest(rels)
    out = [
        PagePlan("causes/index.md", "causes/index.md.j2", {"causes": causes, "records": rels, "changed": newest},
                 Nav("Causes", "Overview", "the explanations the review examines, with verdicts", "Proposed causes"), since="0.2"),
        PagePlan("causes/hallmarks.md", "causes/hallmarks.md.j2", {"causes": causes, "hallmarks": HALLMARKS, "records": rels,
                                                                   "changed": newest},
                 Nav("Causes", "Hallmark matrix", "which cause explains which feature of the syndrome"), since="0.2"),
        PagePlan("causes/tests.md", "causes/tests.md.j2", {"causes": causes, "records": rels, "changed": newest},
                 Nav("Causes", "Diagnostic tests", "what each test rules in or out, and when to do it"), since="0.2"),
        PagePlan("causes/workup.md", "causes/workup.md.j2", {"workup": v.workup, "records": rels, "changed": newest},
                 Nav("Causes", "Differential work-up", "each alternative cause, the signs that separate it and the tests that check it"),
                 since="0.6"),
    ]
    out += [PagePlan(f"causes/{c['id']}.md", "causes/cause.md.j2", {"c": c, "changed": ctx.changed.get(c["rel"], "")}, since="0.2")
            for c in causes]
    return out


def _json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/causes.json", "json", [{"id": c["id"], "name": c["name"], "category": c["category"], "rating": c["rating"],
                                                  "summary": c["verdict"].get("summary", ""),
                                                  "review_wording": c["verdict"].get("review_wording", ""),
                                                  "hallmarks": {m["key"]: m["effect"] for m in c["hallmarks"]},
                                                  "citations": c["citations"], "record": f"records/{c['rel']}"}
                                                 for c in ctx.view(KIND).causes])]


KIND: Kind[CausesView] = Kind(
    name="cause", folder="causes", schema="cause.schema.json", derive=derive, cites=cites, pages=pages,
    reserved=("index", "hallmarks", "tests", "workup"),
    description="one record per proposed cause",
    exports=(Export("causes.json", "JSON array", "proposed cause",
                    "id, name, category, rating, summary, review_wording (the review's own verdict words), hallmarks (key -> explains/contradicts/not-addressed), citations",
                    _json, since="0.2"),),
)
