"""The series kind: a publication's cohort (series/<id>.yaml) with the facts the source states for the series as a whole.

Series facts stay at series level: each is numerator / denominator / subgroup in its own unit (patients, regimens,
respondents, injections), with its source and quote. They are shown on the series page, the paper page and the
agent pages beside, never added to, case-level rows and the review's table rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue
from rdkb.rules import declare

E207 = declare("E207", "a case links to a series record that does not exist", "series ids are file names in series/",
               "cases/E207-unknown-series.yaml")
E208 = declare("E208", "a series figure whose numerator exceeds its denominator (or improved exceeds treated)",
               "check both figures against the source", "series/E208-numerator-over-denominator.yaml")


def _fact_value(fact: Any) -> Any:
    return fact.get("value") if isinstance(fact, dict) and fact.get("status") == "reported" else None


def check(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    ids = {r.id for r in ds.of(KIND.name)}
    for c in ds.of("case"):
        sid = c.data.get("series")
        if isinstance(sid, str) and sid not in ids:
            close = difflib.get_close_matches(sid, sorted(ids), n=1)
            issues.append(E207.at(c.rel, c.line(("series",)), f"series: unknown series {sid!r}",
                                  (f"did you mean {close[0]!r}? " if close else "") + E207.hint))
    for r in ds.of(KIND.name):
        for key, num, den in (("facts", "numerator", "denominator"), ("treatments", "improved", "treated")):
            items = r.data.get(key)
            for i, f in enumerate(items if isinstance(items, list) else []):
                if isinstance(f, dict) and isinstance(f.get(num), (int, float)) and isinstance(f.get(den), (int, float)) \
                        and f[num] > f[den]:
                    issues.append(E208.at(r.rel, r.line((key, i, num)), f"{key}[{i}]: {num} {f[num]} > {den} {f[den]}"))
    return issues


@dataclass(frozen=True)
class SeriesView:
    series: tuple[dict[str, Any], ...]  # sorted by paper citation
    by_paper: dict[str, tuple[dict[str, Any], ...]]
    by_agent: dict[str, tuple[tuple[dict[str, Any], dict[str, Any]], ...]]  # agent -> ((series, treatment), ...)


def derive(ds: Dataset, views: Views) -> SeriesView:
    refs = views.view(reference.KIND)
    out = []
    for r in ds.of(KIND.name):
        d = r.data
        case_ids = sorted(c.id for c in ds.of("case") if c.data.get("series") == r.id)
        out.append({"id": r.id, "rel": r.rel, "paper": d["paper"], "paper_label": refs.short(d["paper"]), "design": d["design"],
                    "patients": _fact_value(d.get("patients")), "runners": _fact_value(d.get("runners")),
                    "with_rd": _fact_value(d.get("with_runners_dystonia")),
                    "patients_fact": d.get("patients", {}), "runners_fact": d.get("runners", {}),
                    "setting": d.get("setting", {}), "period": d.get("period", {}),
                    "facts": list(d.get("facts", [])), "treatments": list(d.get("treatments", [])), "cases": case_ids,
                    "notes": d.get("notes", ""), "cited": sorted(reference.cited_key_set(d))})
    out.sort(key=lambda s: (s["paper_label"].lower(), s["id"]))
    by_paper: dict[str, list[dict[str, Any]]] = {}
    by_agent: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for s in out:
        by_paper.setdefault(s["paper"], []).append(s)
        for t in s["treatments"]:  # a regimen of several treatments is listed under each of them
            for a in dict.fromkeys([t["agent"], *t.get("with", [])]):
                by_agent.setdefault(a, []).append((s, t))
    return SeriesView(tuple(out), {k: tuple(v) for k, v in by_paper.items()}, {k: tuple(v) for k, v in by_agent.items()})


def cites(v: SeriesView) -> list[Citation]:
    return [(k, f"series/{s['id']}.md", f"Series: {s['paper_label']}") for s in v.series for k in s["cited"]]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    rels = [s["rel"] for s in v.series]
    out = [PagePlan("series/index.md", "series/index.md.j2", {"series": list(v.series), "records": rels, "changed": ctx.newest(rels)},
                    Nav("Literature", "Series", "each publication's cohort, with the figures it states for the series as a whole"),
                    since="0.5")]
    out += [PagePlan(f"series/{s['id']}.md", "series/series.md.j2", {"s": s, "changed": ctx.changed.get(s["rel"], "")}, since="0.5")
            for s in v.series]
    return out


def _json(ctx: Context) -> list[OutFile]:
    keep = ("id", "paper", "design", "patients", "runners", "facts", "treatments", "cases")
    return [OutFile("data/series.json", "json", [{**{k: s[k] for k in keep}, "record": f"records/{s['rel']}"}
                                                 for s in ctx.view(KIND).series])]


KIND: Kind[SeriesView] = Kind(
    name="series", folder="series", schema="series.schema.json", check=check, derive=derive, cites=cites, pages=pages,
    reserved=("index",), description="a publication's cohort and its series-level facts",
    exports=(Export("series.json", "JSON array", "series (a publication's cohort)",
                    "id, paper, design, patients, runners, facts (id, statement, numerator, denominator, value, subgroup, unit, "
                    "source, quote), treatments (agent, treated, improved, at_least, grade_wording, unit, source, quote), cases "
                    "(ids of the case records in it), record", _json, since="0.5"),),
)
