"""The question kind and the evidence synthesis: one answer per clinical question, every evidence level side by side.

A question record (questions/<id>.yaml) names the evidence that answers it: a case measure (counted over the case
records, each patient once), series facts (as each report states them, labelled by population), and the review's
stated figures (its claims and its survey). The synthesis lists every level in its own unit and subgroup and never adds
levels together. It also computes the treatment responses (regimens, with every co-intervention) and the runner
bounds. Every page that shows a figure about a covered question formats an entry of this view, never its own count:
such figures are rendered with `data-q` attributes (macro `syn`), and a test over the built site forbids others.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import case, claim, literature, series, survey, table
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.kinds.case import CaseView
from rdkb.model import Dataset, Issue
from rdkb.rules import declare

PAGE = "synthesis.md"

E801 = declare("E801", "a question names evidence that does not exist (series, series fact, claim or survey figure)",
               "use the ids of series/<id>.yaml facts, claims/review-claims.yaml and survey/ aggregates",
               "questions/E801-unknown-evidence.yaml")
E802 = declare("E802", "a treatment regimen is not counted as given: a planned regimen has treated or improved figures",
               "a planned regimen has no outcome yet: leave treated and improved out", "series/E802-planned-with-outcome.yaml")
E803 = declare("E803", "a claim's denominator is not stated in its quote (nor in the quote of the claim named by denominator_from)",
               "quote the words that give the denominator, or leave it out", "claims/E803-denominator-not-quoted.yaml")

_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                 "seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five").split()


def _states_number(text: str, n: float) -> bool:
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)?|\d+(?:\.\d+)?", text.lower()))
    as_int = int(n) if float(n).is_integer() else None
    return (f"{n:g}" in words) or (as_int is not None and 0 <= as_int < len(_NUMBER_WORDS) and _NUMBER_WORDS[as_int] in words)


def check(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    series_facts = {r.id: {f.get("id") for f in r.data.get("facts", []) if isinstance(f, dict)} for r in ds.of("series")}
    claims_rec = ds.one("claim")
    claims = {c.get("id"): c for c in (claims_rec.data.get("claims", []) if claims_rec else []) if isinstance(c, dict)}
    survey_rec = ds.one("survey")
    aggregates = {a.get("id") for a in (survey_rec.data.get("aggregates", []) if survey_rec else []) if isinstance(a, dict)}
    for q in ds.of(KIND.name):
        for i, ref in enumerate(q.data.get("series", []) or []):
            if ref["series"] not in series_facts:
                issues.append(E801.at(q.rel, q.line(("series", i, "series")), f"series[{i}]: no series record {ref['series']!r}"))
            elif ref["fact"] not in series_facts[ref["series"]]:
                issues.append(E801.at(q.rel, q.line(("series", i, "fact")),
                                      f"series[{i}]: series {ref['series']!r} has no fact {ref['fact']!r}"))
        for i, ref in enumerate(q.data.get("review", []) or []):
            if "claim" in ref and ref["claim"] not in claims:
                issues.append(E801.at(q.rel, q.line(("review", i, "claim")), f"review[{i}]: no claim {ref['claim']!r}"))
            if "survey" in ref and ref["survey"] not in aggregates:
                issues.append(E801.at(q.rel, q.line(("review", i, "survey")), f"review[{i}]: no survey figure {ref['survey']!r}"))
    for r in ds.of("series"):
        for i, t in enumerate(r.data.get("treatments", []) or []):
            if isinstance(t, dict) and t.get("status") == "planned" and ("treated" in t or "improved" in t):
                issues.append(E802.at(r.rel, r.line(("treatments", i, "status")),
                                      f"treatments[{i}]: a planned regimen with treated/improved figures"))
    if claims_rec is not None:
        for i, c in enumerate(claims_rec.data.get("claims", []) or []):
            if not isinstance(c, dict) or not isinstance(c.get("denominator"), (int, float)):
                continue
            quotes = [str(c.get("quote", ""))]
            if c.get("denominator_from") in claims:
                quotes.append(str(claims[c["denominator_from"]].get("quote", "")))
            if not any(_states_number(q, c["denominator"]) for q in quotes):
                issues.append(E803.at(claims_rec.rel, claims_rec.line(("claims", i, "denominator")),
                                      f"claims[{i}] ({c.get('id')}): denominator {c['denominator']:g} is not in its quote"))
    return issues


# ------------------------------------------------------------------ case measures

def _returned(c: CaseView) -> bool | None:
    if c.outcome in ("full-return", "limited-running"):
        return True
    if c.outcome == "stopped-running":
        return False
    return None


# measure -> (what a "yes" means, the value per case)
CASE_MEASURES: dict[str, tuple[str, Callable[[CaseView], bool | None]]] = {
    "parkinsons_disease": ("later Parkinson's disease", lambda c: c.parkinsons),
    "spread_to_walking": ("spread to walking", lambda c: c.spread_walking),
    "spread_to_other_activities": ("spread to other activities", lambda c: c.spread_other),
    "rest_tremor": ("tremor at rest", lambda c: c.rest_tremor),
    "foot_or_ankle": ("foot or ankle involved", lambda c: c.foot_or_ankle),
    "returned_to_running": ("running again, at any level", _returned),
}


def _same_as(c: CaseView) -> str | None:
    """The case id this record is the same patient as, when a source-based link says so (not 'possibly')."""
    link = c.record.data.get("same_patient_as")
    links = link if isinstance(link, list) else [link]
    for x in links:
        if isinstance(x, dict) and isinstance(x.get("case"), str) and x.get("certainty", "same") == "same":
            return str(x["case"])
    return None


def distinct_patients(cases: Sequence[CaseView]) -> list[CaseView]:
    """Each patient once: a case record linked as the same patient as an earlier one (by id) is left out."""
    ids = {c.id for c in cases}
    out = []
    for c in cases:
        other = _same_as(c)
        if other is not None and other in ids and other < c.id:
            continue
        out.append(c)
    return out


def _of(k: float | None, n: float | None, value: str | None = None) -> str:
    if k is not None and n is not None:
        return f"{k:g} of {n:g}"
    if k is not None:
        return f"{k:g} (denominator not stated)"
    return value or "not stated"


def case_level(qid: str, measure: str, cases: Sequence[CaseView]) -> dict[str, Any]:
    meaning, get = CASE_MEASURES[measure]
    values = [get(c) for c in cases]
    k = sum(1 for v in values if v is True)
    no = sum(1 for v in values if v is False)
    nr = sum(1 for v in values if v is None)
    return {"id": f"{qid}:cases", "level": "cases", "level_label": "Case records", "unit": "patients",
            "population": "individually described patients (each once)", "statement": meaning,
            "k": k, "n": len(values), "no": no, "not_reported": nr, "value": None,
            "text": f"{k} of {len(values)} (not reported: {nr})", "source": None, "quote": "", "link": "cases/index.md",
            "cases": [c.id for c, v in zip(cases, values, strict=True) if v is True]}


def population(s: Mapping[str, Any], fact: Mapping[str, Any]) -> tuple[str, str]:
    """(class, words): runners, non-runners, mixed or not stated, from the fact's subgroup and the series' counts."""
    sub = str(fact.get("subgroup") or "")
    if sub:
        cls = "non-runners" if "non-runner" in sub else ("runners" if "runner" in sub else "subgroup")
        return cls, sub
    runners, patients = s.get("runners"), s.get("patients")
    if runners is not None and patients is not None and runners == patients:
        return "runners", "runners"
    if runners is not None and patients is not None:
        return "mixed", f"mixed: {runners} runners among {patients} patients"
    return "not-stated", "patients; how many were runners is not stated"


def series_level(qid: str, s: Mapping[str, Any], fact: Mapping[str, Any]) -> dict[str, Any]:
    cls, words = population(s, fact)
    k, n = fact.get("numerator"), fact.get("denominator")
    return {"id": f"{qid}:series:{s['id']}:{fact['id']}", "level": "series", "level_label": f"Series: {s['paper_label']}",
            "unit": fact.get("unit", "patients"), "population": words, "population_class": cls,
            "statement": fact["statement"], "k": k, "n": n, "no": None, "not_reported": None, "value": fact.get("value"),
            "text": _of(k, n, fact.get("value")), "source": fact.get("source"), "quote": fact.get("quote", ""),
            "link": f"series/{s['id']}.md"}


def claim_level(qid: str, cl: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    k = cl["stated"] if isinstance(cl["stated"], (int, float)) else None
    n = spec.get("denominator")
    return {"id": f"{qid}:review:{cl['id']}", "level": "review", "level_label": "The review (its literature cases)",
            "unit": spec.get("unit", "literature cases"), "population": "the literature cases the review collected (to 2015)",
            "statement": cl["statement"], "k": k, "n": n, "no": None, "not_reported": None,
            "value": None if k is not None else str(cl["stated"]), "text": _of(k, n, str(cl["stated"])),
            "source": cl["source"], "quote": cl["source"].get("quote", ""), "link": "claims.md"}


def survey_level(qid: str, a: Mapping[str, Any]) -> dict[str, Any]:
    stated = a.get("stated")
    k = stated if isinstance(stated, (int, float)) and not isinstance(stated, bool) else None
    n = a.get("denominator")
    src = dict(a.get("source") or {})
    return {"id": f"{qid}:survey:{a['id']}", "level": "survey", "level_label": "The review's survey",
            "unit": a.get("unit", "respondents"), "population": "runners with self-identified loss of leg coordination",
            "statement": a.get("statement", ""), "k": k, "n": n, "no": None, "not_reported": None,
            "value": None if k is not None else str(stated), "text": _of(k, n, str(stated)), "source": src,
            "quote": a.get("quote", ""), "link": "survey/index.md"}


def rows_levels(qid: str, complaint_rows: Sequence[Mapping[str, Any]], survey_rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Foot or ankle in the review's complaint table and in its survey's complaints, as the project codes each row."""
    out = []
    for key, label, unit, pop, link, rows in (
            ("complaint-rows", "The review's complaint table (the project's coding)", "complaints", "the literature cases the review "
             "considers adequately described", "complaints.md", complaint_rows),
            ("survey-rows", "The review's survey complaints (the project's coding)", "complaints", "runners with self-identified "
             "loss of leg coordination", "comparison.md", survey_rows)):
        if rows:
            k = sum(1 for r in rows if r["foot_or_ankle"])
            out.append({"id": f"{qid}:{key}", "level": "review" if key == "complaint-rows" else "survey", "level_label": label,
                        "unit": unit, "population": pop, "statement": "rows naming the foot, toes or ankle", "k": k, "n": len(rows),
                        "no": None, "not_reported": None, "value": None, "text": f"{k} of {len(rows)}", "source": None,
                        "quote": "", "link": link})
    return out


# ------------------------------------------------------------------ treatments as regimens

def _agent_kind(vocab: Mapping[str, Any], agent: str) -> str:
    return str(vocab.get("agent_kinds", {}).get(agent, "drug"))


def _unit(n: float, unit: str) -> str:
    """'1 patient', '2 patients' (the units are plural nouns)."""
    return unit[:-1] if n == 1 and unit.endswith("s") else unit


def _grade(r: str) -> str:
    return r.replace("-", " ")


def regimen_text(agent: str, together: Sequence[str], names: Mapping[str, str], body: str) -> str:
    others = [names.get(a, a) for a in together if a != agent]
    return f"{body} (with {', '.join(others)})" if others else body


def treatment_entry(qid: str, a: Mapping[str, Any], series_rows: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
                    names: Mapping[str, str], kinds: Mapping[str, Any]) -> dict[str, Any]:
    aid = a["id"]
    levels: list[dict[str, Any]] = []
    rows = a["rows"]
    alone = Counter(r["response"] for r in rows if len(r["agents"]) == 1)
    combos = Counter((tuple(sorted(x for x in r["agents"] if x != aid)), r["response"]) for r in rows if len(r["agents"]) > 1)
    parts = [f"{_grade(k)} {n}" for k, n in sorted(alone.items())]
    parts += [f"{_grade(resp)} {n} (with {', '.join(names.get(o, o) for o in others)})" for (others, resp), n in sorted(combos.items())]
    levels.append({"id": f"{qid}:{aid}:table", "level": "review", "level_label": "The review's drug table", "unit": "regimens",
                   "population": "the review's literature cases", "statement": "regimens by response",
                   "k": None, "n": len(rows), "text": (f"{len(rows)}: " + "; ".join(parts)) if rows else "none",
                   "source": None, "quote": "", "link": "treatments.md", "alone": sum(alone.values()), "value": None})
    cts = a["case_treatments"]
    calone = Counter(t.get("response", "not-reported") for _, t in cts if len(t.get("agents", [])) == 1)
    ccombo = Counter((tuple(sorted(x for x in t.get("agents", []) if x != aid)), t.get("response", "not-reported"))
                     for _, t in cts if len(t.get("agents", [])) > 1)
    cparts = [f"{_grade(k)} {n}" for k, n in sorted(calone.items())]
    cparts += [f"{_grade(r)} {n} (with {', '.join(names.get(o, o) for o in others)})" for (others, r), n in sorted(ccombo.items())]
    ncases = len({c.id for c, _ in cts})
    levels.append({"id": f"{qid}:{aid}:cases", "level": "cases", "level_label": "Case records", "unit": "regimens",
                   "population": "individually described patients", "statement": "regimens by response",
                   "k": None, "n": len(cts),
                   "text": (f"{len(cts)} in {ncases} {'case' if ncases == 1 else 'cases'}: " + "; ".join(cparts)) if cts else "none",
                   "source": None, "quote": "", "link": "cases/index.md", "value": None,
                   "cases": sorted({c.id for c, _ in cts})})
    for s, t in series_rows:
        together = [t["agent"], *t.get("with", [])]
        status = t.get("status", "given")
        unit = t.get("unit", "patients")
        improved, treated = t.get("improved"), t.get("treated")
        if status == "planned":
            body = "planned, not yet given; outcome not reported"
        elif improved is not None:
            body = f"{'at least ' if t.get('at_least') else ''}{improved:g}"
            body += (f" of {treated:g} {_unit(treated, unit)} improved" if treated is not None
                     else f" {_unit(improved, unit)} improved (treated: not stated)")
        elif treated is not None:
            body = f"{treated:g} {_unit(treated, unit)} treated, improvement not stated"
        else:
            body = "numbers not stated"
        if t.get("grade_wording") and status != "planned":
            body += f": \u201c{t['grade_wording']}\u201d"
        if status == "stopped":
            body += " (stopped)"
        cls, words = population(s, {})
        levels.append({"id": f"{qid}:{aid}:series:{s['id']}:{together[0]}:{s['treatments'].index(t)}", "level": "series",
                       "level_label": f"Series: {s['paper_label']}", "unit": unit, "population": words, "population_class": cls,
                       "statement": "regimen", "status": status, "paper": s["paper"], "with": [x for x in together if x != aid],
                       "k": improved, "n": treated, "value": None, "text": regimen_text(aid, together, names, body),
                       "source": t.get("source"), "quote": t.get("quote", ""), "link": f"series/{s['id']}.md"})
    return {"agent": aid, "name": names.get(aid, aid), "kind": _agent_kind(kinds, aid), "levels": levels}


# ------------------------------------------------------------------ runner bounds

def runner_bounds(cases: Sequence[CaseView], series_view: Any, lit: Any, review_papers: set[str]) -> dict[str, Any]:
    """At least: individually described, confirmed runners (case records; each patient once; reports suspected to share
    patients count by their largest). At most: every patient a report describes with runner's dystonia, series included
    (stated runners, else patients described with runner's dystonia, else case records), every report added."""
    patients = distinct_patients(cases)
    confirmed = Counter(c.paper for c in patients if _confirmed_runner(c, series_view))
    per_case = Counter(c.paper for c in patients)
    patient_designs = {"case-report", "case-series", "retrospective-cohort", "congress-abstract"}
    included = [c["key"] for c in lit.included
                if per_case[c["key"]] or any(s["design"] in patient_designs for s in series_view.by_paper.get(c["key"], ()))]
    keys = sorted(set(included) | review_papers)
    described: dict[str, int | None] = {}
    for k in keys:
        counts = [per_case[k]]
        for s in series_view.by_paper.get(k, ()):
            counts += [x for x in (s["runners"], s.get("with_rd")) if x is not None]
        described[k] = max(counts) or None
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b, _ in lit.overlaps:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        groups[find(k)].append(k)
    at_least = sum(max(confirmed[k] for k in g) for g in groups.values())
    at_most = sum(described[k] or 0 for k in keys)
    return {"at_least": at_least, "at_most": at_most, "n_reports": len(keys), "n_unknown": sum(1 for k in keys if not described[k]),
            "n_overlap_groups": sum(1 for g in groups.values() if len(g) > 1), "searched": lit.searched,
            "per_report": {k: {"confirmed_runners": confirmed[k], "described": described[k]} for k in keys},
            "rule": ("At least: runners described one by one whose running is confirmed by a source, each patient once; reports "
                     "suspected to share patients count by their largest. At most: every patient a report describes with "
                     "runner's dystonia, series included, every report added."),
            "scope": _scope(lit)}


def _scope(lit: Any) -> str:
    """The range's scope, from the search protocol's window (reports before it outside the review are not searched)."""
    window = (lit.protocol or {}).get("window", {}) if isinstance(lit.protocol, dict) else {}
    start = str(window.get("from", ""))[:4]
    since = f" since {start}" if start else ""
    upto = f", literature searched up to {lit.searched}" if lit.searched else ""
    return f"the review's literature cases and the reports found{since}{upto}"


def _confirmed_runner(c: CaseView, series_view: Any) -> bool:
    """The review counts the case as a runner's, or its series record states that every patient is a runner."""
    if c.in_review:
        return True
    sid = c.record.data.get("series")
    for s in series_view.series:
        if s["id"] == sid and s["runners"] is not None and s["runners"] == s["patients"]:
            return True
    return False


# ------------------------------------------------------------------ the view

@dataclass(frozen=True)
class SynthesisView:
    questions: tuple[dict[str, Any], ...]  # by order: id, question, label, key, levels (or treatments), note, rel
    by_id: Mapping[str, dict[str, Any]]
    runners: Mapping[str, Any]
    cited: tuple[str, ...]

    def level(self, qid: str, level_id: str) -> dict[str, Any]:
        for lv in self.by_id[qid]["levels"]:
            if lv["id"] == level_id:
                return dict(lv)
        raise KeyError(level_id)


def derive(ds: Dataset, views: Views) -> SynthesisView:
    cases = distinct_patients(views.view(case.KIND).cases)
    sv = views.view(series.KIND)
    by_series = {s["id"]: s for s in sv.series}
    claims = {c["id"]: c for c in views.view(claim.KIND).claims}
    claim_specs = {}
    crec = ds.one("claim")
    if crec is not None:
        claim_specs = {c["id"]: c for c in crec.data.get("claims", [])}
    aggregates = views.view(survey.KIND).aggregates
    names = dict(views.vocab.get("agents", {}))
    tables = views.view(table.KIND)
    out = []
    cited: set[str] = set()
    for rec in sorted(ds.of(KIND.name), key=lambda r: (r.data.get("order", 99), r.id)):
        d = rec.data
        q: dict[str, Any] = {"id": rec.id, "rel": rec.rel, "question": d["question"], "label": d["label"], "order": d["order"],
                             "key": bool(d.get("key")), "handout": bool(d.get("handout")), "note": d.get("note", ""), "levels": [], "treatments": []}
        measure = (d.get("cases") or {}).get("measure")
        if measure in CASE_MEASURES:
            q["levels"].append(case_level(rec.id, measure, cases))
        for ref in d.get("series", []) or []:
            s = by_series.get(ref["series"])
            fact = next((f for f in (s or {}).get("facts", []) if f["id"] == ref["fact"]), None)
            if s is not None and fact is not None:
                q["levels"].append(series_level(rec.id, s, fact))
        for ref in d.get("review", []) or []:
            if "claim" in ref and ref["claim"] in claims:
                q["levels"].append(claim_level(rec.id, claims[ref["claim"]], claim_specs.get(ref["claim"], {})))
            if "survey" in ref and ref["survey"] in aggregates:
                q["levels"].append(survey_level(rec.id, aggregates[ref["survey"]]))
        if d.get("complaint_rows"):
            q["levels"] += rows_levels(rec.id, tables.complaint_rows, views.view(survey.KIND).rows)
        if d.get("treatments"):
            q["treatments"] = [treatment_entry(rec.id, a, sv.by_agent.get(a["id"], ()), names, views.vocab)
                               for a in tables.agents]
        for lv in q["levels"] + [x for t in q["treatments"] for x in t["levels"]]:
            if lv.get("source") and lv["source"].get("ref"):
                cited.add(lv["source"]["ref"])
                if lv["source"].get("via"):
                    cited.add(lv["source"]["via"])
        out.append(q)
    runners = runner_bounds(views.view(case.KIND).cases, sv, views.view(literature.KIND),
                            {c.paper for c in views.view(case.KIND).cases if c.in_review})
    return SynthesisView(tuple(out), {q["id"]: q for q in out}, runners, tuple(sorted(cited)))


def cites(v: SynthesisView) -> list[Citation]:
    return [(k, PAGE, "Evidence synthesis") for k in v.cited]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.questions:
        return []
    rels = [q["rel"] for q in v.questions] + claim.base_records(ctx) + [s["rel"] for s in ctx.view(series.KIND).series]
    return [PagePlan(PAGE, "synthesis.md.j2", {"questions": list(v.questions), "records": rels,
                                              "changed": ctx.newest(rels)},
                     Nav("Clinical", "Evidence synthesis", "one answer per clinical question: case records, series and the "
                         "review side by side, each in its own unit"), since="0.8")]


def _public(lv: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("id", "level", "level_label", "unit", "population", "population_class", "statement", "k", "n", "not_reported",
            "value", "text", "status", "with", "source", "quote", "cases", "paper")
    return {k: lv[k] for k in keep if k in lv}


def synthesis_json(v: SynthesisView) -> dict[str, Any]:
    return {"runners": {k: v.runners[k] for k in ("at_least", "at_most", "n_reports", "rule", "scope", "searched")},
            "questions": [{"id": q["id"], "question": q["question"], "label": q["label"], "key": q["key"], "note": q["note"],
                           "levels": [_public(lv) for lv in q["levels"]],
                           "treatments": [{"agent": t["agent"], "name": t["name"], "kind": t["kind"],
                                           "levels": [_public(lv) for lv in t["levels"]]} for t in q["treatments"]]}
                          for q in v.questions]}


def _json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/synthesis.json", "json", synthesis_json(ctx.view(KIND)))]


def _files(ctx: Context) -> list[OutFile]:
    return [OutFile("schemas/synthesis.schema.json", "schema", "synthesis.schema.json")]


KIND: Kind[SynthesisView] = Kind(
    name="question", folder="questions", schema="question.schema.json", check=check, derive=derive, cites=cites, pages=pages,
    files=_files, reserved=("index",), description="clinical questions and the evidence synthesis that answers them",
    exports=(Export("synthesis.json", "JSON object", "clinical question",
                    "runners (at_least, at_most, rule, scope), questions (id, question, label, key, note, levels: id, level "
                    "(cases / series / review / survey), unit, population, k, n, not_reported, value, text, source, quote; "
                    "treatments: agent, name, kind, levels, each regimen with its status and co-interventions); schema: "
                    "schemas/synthesis.schema.json", _json, since="0.8"),),
)


def iter_levels(v: SynthesisView) -> Iterable[dict[str, Any]]:
    for q in v.questions:
        yield from q["levels"]
        for t in q["treatments"]:
            yield from t["levels"]
