"""The claim kind: the review's quantitative claims (claims/review-claims.yaml), each recomputed from the records.

A claim's figure is derived over the review's own cases only (`in_review: true`), so adding newer cases
never changes whether the review's own count was right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdkb.kinds import case, reference, survey, table
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.kinds.table import TablesView
from rdkb.model import Dataset


def _matches(obj: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(obj.get(k) == v for k, v in where.items())


def derive_claims(claims: list[dict[str, Any]], case_objs: list[dict[str, Any]], tables: TablesView,
                  survey: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each claim's figure derived from the records, over the review's own cases (in_review)."""
    review = [c for c in case_objs if c.get("in_review")]
    out = []
    for cl in claims:
        spec = cl["derive"]
        where = spec.get("where", {})
        metric = spec["metric"]
        unknown = 0
        if metric == "cases":
            derived: Any = sum(1 for c in review if _matches(c, where))
            unknown = sum(1 for c in review if any(c.get(k) is None for k in where) and
                          all(c.get(k) == v for k, v in where.items() if c.get(k) is not None))
        elif metric == "papers":
            derived = len({c["paper"] for c in review if _matches(c, where)})
        elif metric == "complaint_rows":
            derived = sum(1 for r in tables.complaint_rows if _matches(r, where))
        elif metric == "treatment_rows":
            derived = sum(1 for r in tables.treatment_rows if _matches(r, where))
        elif metric == "distinct_agents":
            derived = len({a for r in tables.treatment_rows for a in r["agents"]})
        elif metric == "survey_complaints":
            derived = sum(1 for r in survey if _matches(r, where))
        elif metric == "case_values":
            vals = [c.get(spec.get("field", "")) for c in review if _matches(c, where)]
            derived = sorted((v for v in vals if v is not None), key=lambda v: (str(type(v)), v))
            derived = [int(v) if isinstance(v, float) and v.is_integer() else v for v in derived]
            unknown = sum(1 for v in vals if v is None)
        else:
            derived = None
        stated = cl["stated"]
        if isinstance(stated, list):
            stated_cmp = sorted(stated, key=lambda v: (str(type(v)), v))
            agrees: bool | None = derived == stated_cmp
            if not agrees and unknown:
                agrees = None
        else:
            if derived == stated:
                agrees = True
            elif isinstance(derived, int) and isinstance(stated, (int, float)) and derived < stated <= derived + unknown:
                agrees = None  # the records hold too little to confirm or refute
            else:
                agrees = False
        coding = cl.get("depends_on_coding")
        if agrees is False and coding:
            state = "depends-on-coding"  # the difference comes from the project's own coding choice: both readings shown
            agrees = None
        else:
            state = {True: "agrees", False: "disagrees", None: "cannot-check"}[agrees]
        out.append({"id": cl["id"], "statement": cl["statement"], "source": {**cl["source"], "quote": cl["quote"]},
                    "stated": stated, "derived": derived, "agrees": agrees, "state": state, "coding": coding,
                    "not_reported": unknown,
                    "note": cl.get("note", ""), "derive": spec})
    return out




@dataclass(frozen=True)
class ClaimsView:
    claims: tuple[dict[str, Any], ...]
    rel: str
    cited: tuple[str, ...]

    def count(self, state: str) -> int:
        return sum(1 for c in self.claims if c["state"] == state)


def derive(ds: Dataset, views: Views) -> ClaimsView:
    rec = ds.one(KIND.name)
    specs = rec.data.get("claims", []) if rec else []
    claims = derive_claims(specs, list(views.view(case.KIND).objects), views.view(table.KIND), list(views.view(survey.KIND).rows))
    return ClaimsView(tuple(claims), rec.rel if rec else "", tuple(sorted(reference.cited_key_set(rec.data))) if rec else ())


def cites(v: ClaimsView) -> list[Citation]:
    return [(k, "claims.md", "Claims check") for k in v.cited]


def base_records(ctx: Context) -> list[str]:
    """The records a figure over cases, tables and survey depends on (footers, 'last changed')."""
    rels = [c.rel for c in ctx.view(case.KIND).cases]
    t = ctx.view(table.KIND)
    rels += [x["rel"] for x in (t.complaints_table, t.treatments_table) if x]
    s = ctx.view(survey.KIND)
    return rels + ([s.rel] if s.rel else [])


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.rel:
        return []
    rels = base_records(ctx) + [v.rel]
    return [PagePlan("claims.md", "claims.md.j2", {"claims": list(v.claims), "records": rels, "changed": ctx.newest(rels),
                                                   "n_agree": v.count("agrees"), "n_disagree": v.count("disagrees"),
                                                   "n_coding": v.count("depends-on-coding"), "n_unknown": v.count("cannot-check")},
                     Nav("The review, checked", "Claims check", "the review's figures recomputed from the records"), since="0.2")]


def _json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/claims.json", "json", [{k: c[k] for k in ("id", "statement", "source", "stated", "derived", "agrees", "state",
                                                                    "coding", "not_reported")}
                                                 for c in ctx.view(KIND).claims])]


KIND: Kind[ClaimsView] = Kind(
    name="claim", folder="claims", single="review-claims", schema="claims.schema.json", derive=derive, cites=cites, pages=pages,
    description="the review's quantitative claims and how to recompute them",
    exports=(Export("claims.json", "JSON array", "claim of the review",
                    "id, statement, source (ref, locator, quote), stated, derived, state (agrees / disagrees / depends-on-coding / "
                    "cannot-check), agrees (true / false / null: cannot check or depends on coding), coding (why it depends on "
                    "the project's coding, and the other reading), not_reported", _json, since="0.2"),),
)
