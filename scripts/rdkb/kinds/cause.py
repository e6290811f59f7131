"""The cause kind: one record per proposed cause the review weighs (causes/<id>.yaml).

Pages: the causes overview, one page per cause, the hallmark matrix and the diagnostic-tests table.
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
                    "tests": d.get("diagnostic_tests", []), "treatments": d.get("treatments", []),
                    "rating": d["verdict"]["rating"], "rating_label": RATINGS.get(d["verdict"]["rating"], d["verdict"]["rating"]),
                    "verdict": d["verdict"], "citations": d.get("citations", []), "notes": d.get("notes", "")})
    return out


@dataclass(frozen=True)
class CausesView:
    causes: tuple[dict[str, Any], ...]  # sorted by the review's order
    cited: dict[str, tuple[str, ...]]  # cause id -> every bib key its record cites


def derive(ds: Dataset, views: Views) -> CausesView:
    recs = ds.of(KIND.name)
    causes = cause_views(recs)
    by_id = {r.id: r for r in recs}
    return CausesView(tuple(causes), {c["id"]: tuple(sorted(set(c["citations"]) | reference.cited_key_set(by_id[c["id"]].data)))
                                      for c in causes})


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
    reserved=("index", "hallmarks", "tests"),
    description="one record per proposed cause",
    exports=(Export("causes.json", "JSON array", "proposed cause",
                    "id, name, category, rating, summary, review_wording (the review's own verdict words), hallmarks (key -> explains/contradicts/not-addressed), citations",
                    _json, since="0.2"),),
)
