"""Stage 3: pure functions from validated records to indexes, counts and page models.

Nothing here reads or writes files. Every index is built in one pass over the
records; templates receive ready-made values and only loop over them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdkb.model import Dataset, Record, Reference

FOOT_REGIONS = frozenset({"toes", "foot", "ankle"})
NOT_REPORTED = "not reported"


def fact_status(fact: Any) -> str:
    return fact.get("status", "not_reported") if isinstance(fact, dict) else "not_reported"


def fact_value(fact: Any) -> Any:
    """The value of a reported fact; False for an 'absent' boolean-like fact; None when not reported."""
    if not isinstance(fact, dict):
        return None
    if fact.get("status") == "reported":
        return fact.get("value", fact.get("items"))
    return None


def tri(fact: Any) -> bool | None:
    """Three-state boolean: True / False (reported false, or explicitly absent) / None (not reported)."""
    st = fact_status(fact)
    if st == "absent":
        return False
    if st == "reported":
        v = fact.get("value")
        return bool(v) if isinstance(v, bool) else True
    return None


def yes_no(value: bool | None) -> str:
    return NOT_REPORTED if value is None else ("yes" if value else "no")


def surname(name: str) -> str:
    name = name.strip()
    if "," in name:
        return name.split(",")[0].strip()
    return name.split()[-1] if name.split() else name


def short_citation(ref: Reference | None, key: str) -> str:
    """'Wu & Jankovic 2006' / 'Katz et al. 2013' from the (decoded) BibTeX entry."""
    if ref is None:
        return key
    authors = [a for a in re.split(r"\s+and\s+", ref.get("author")) if a.strip()]
    year = ref.get("year")
    if not authors:
        return f"{ref.get('title')[:40]} {year}".strip()
    names = [surname(a) for a in authors]
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who} {year}".strip()


def full_citation(ref: Reference) -> str:
    """A plain-text reference line (no markup; the renderer escapes it)."""
    authors = [a.strip() for a in re.split(r"\s+and\s+", ref.get("author")) if a.strip()]
    parts = []
    if authors:
        parts.append("; ".join(authors).rstrip(".") + ".")
    if ref.get("title"):
        parts.append(ref.get("title").rstrip(".") + ".")
    venue = ref.get("journal") or ref.get("booktitle") or ref.get("organization") or ref.get("publisher") or ref.get("howpublished")
    tail = venue
    if ref.get("year"):
        tail = f"{tail} {ref.get('year')}".strip()
    if ref.get("volume"):
        tail += f";{ref.get('volume')}"
        if ref.get("number"):
            tail += f"({ref.get('number')})"
    if ref.get("pages"):
        tail += f":{ref.get('pages').replace('--', '-')}"
    if tail:
        parts.append(tail + ".")
    return " ".join(parts)


def safe_url(url: str) -> str | None:
    """Only http(s) URLs without spaces or markup-breaking characters are ever linked."""
    if re.match(r"^https?://[^\s<>\"'`()\[\]{}|\\^]+$", url or ""):
        return url
    return None


@dataclass
class CaseView:
    id: str
    rel: str
    record: Record
    paper: str
    paper_label: str
    label: str
    sex: str
    age_presentation: float | None
    age_onset: float | None
    age_unstated: float | None
    side: str
    regions: list[str] | None
    foot_or_ankle: bool | None
    adequately_described: bool | None
    spread_other: bool | None
    spread_walking: bool | None
    rest_tremor: bool | None
    parkinsons: bool | None
    outcome: str | None
    agents: list[str]
    in_review: bool
    facts: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[dict[str, Any]] = field(default_factory=list)
    interventions: list[dict[str, Any]] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)
    changed: str = ""

    @property
    def age_text(self) -> str:
        if self.age_presentation is not None:
            return _fmt_num(self.age_presentation)
        if self.age_unstated is not None:
            return f"{_fmt_num(self.age_unstated)} (timing not stated)"
        return NOT_REPORTED

    @property
    def onset_text(self) -> str:
        return _fmt_num(self.age_onset) if self.age_onset is not None else NOT_REPORTED

    @property
    def regions_text(self) -> str:
        return ", ".join(r.replace("-", " ") for r in self.regions) if self.regions else NOT_REPORTED

    @property
    def age_sort(self) -> float | None:
        return self.age_presentation if self.age_presentation is not None else self.age_unstated


def _fmt_num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


CASE_FACTS = [
    ("label", "Label in the paper"),
    ("sex", "Sex"),
    ("age_at_presentation", "Age at presentation"),
    ("age_at_onset", "Age at onset"),
    ("age_timing_unstated", "Age (timing not stated)"),
    ("duration_at_presentation", "Duration at presentation"),
    ("side", "Side"),
    ("body_regions", "Body regions"),
    ("main_complaint", "Main complaint"),
    ("adequately_described", "Adequately described (review)"),
    ("spread_to_other_activities", "Spread to other activities"),
    ("spread_to_walking", "Spread to walking"),
    ("spread_delay", "Delay of spread"),
    ("rest_tremor", "Rest tremor"),
    ("parkinsons_disease", "Parkinson's disease later"),
    ("parkinsons_delay", "Time to Parkinson's disease"),
    ("outcome", "Outcome"),
]


def display_value(value: Any, vocab: dict[str, dict[str, str]]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(vocab["body_regions"].get(v, str(v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value in vocab["outcomes"]:
        return vocab["outcomes"][value]
    return str(value)


def display_fact(fact: Any, vocab: dict[str, dict[str, str]]) -> dict[str, Any]:
    st = fact_status(fact)
    if st == "reported":
        text = display_value(fact.get("value"), vocab)
    elif st == "absent":
        text = "absent (explicitly)"
    else:
        text = NOT_REPORTED
    src = fact.get("source") if isinstance(fact, dict) else None
    return {"status": st, "text": text, "source": src, "quote": fact.get("quote", "") if isinstance(fact, dict) else "",
            "note": fact.get("note", "") if isinstance(fact, dict) else ""}


def _num(fact: Any) -> float | None:
    v = fact_value(fact)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def case_view(rec: Record, refs: dict[str, Reference], vocab: dict[str, dict[str, str]], changed: str) -> CaseView:
    d = rec.data
    regions = fact_value(d.get("body_regions"))
    regions = list(regions) if isinstance(regions, list) else None
    treatments = d.get("treatments", {})
    items = treatments.get("items", []) if fact_status(treatments) == "reported" else []
    agents = sorted({a for t in items for a in t.get("agents", [])})
    interventions = d.get("other_interventions", {})
    iv_items = interventions.get("items", []) if fact_status(interventions) == "reported" else []
    facts = []
    for key, title in CASE_FACTS:
        if key in d:
            row = display_fact(d[key], vocab)
            row["field"], row["title"] = key, title
            facts.append(row)
    from rdkb.validate import cited_key_set

    cites = sorted(cited_key_set(d) | {d.get("paper", "")})
    label = fact_value(d.get("label"))
    return CaseView(
        id=rec.id, rel=rec.rel, record=rec, paper=d.get("paper", ""),
        paper_label=short_citation(refs.get(d.get("paper", "")), d.get("paper", "")),
        label=str(label) if label else "", sex=display_fact(d.get("sex"), vocab)["text"],
        age_presentation=_num(d.get("age_at_presentation")), age_onset=_num(d.get("age_at_onset")),
        age_unstated=_num(d.get("age_timing_unstated")),
        side=display_fact(d.get("side"), vocab)["text"], regions=regions,
        foot_or_ankle=None if regions is None else bool(FOOT_REGIONS & set(regions)),
        adequately_described=tri(d.get("adequately_described")),
        spread_other=tri(d.get("spread_to_other_activities")), spread_walking=tri(d.get("spread_to_walking")),
        rest_tremor=tri(d.get("rest_tremor")), parkinsons=tri(d.get("parkinsons_disease")),
        outcome=fact_value(d.get("outcome")), agents=agents, in_review=bool(d.get("in_review")),
        facts=facts, treatments=items, interventions=iv_items, cites=[c for c in cites if c], changed=changed,
    )


@dataclass
class Derived:
    cases: list[CaseView]
    case_by_id: dict[str, CaseView]
    papers: list[dict[str, Any]]
    complaint_rows: list[dict[str, Any]]
    treatment_rows: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    references: list[dict[str, Any]]
    figures: dict[str, Any]
    vocab: dict[str, dict[str, str]]
    complaints_table: dict[str, Any]
    treatments_table: dict[str, Any]
    backlinks: dict[str, list[tuple[str, str]]]
    extra: dict[str, Any] = field(default_factory=dict)


def _rows(ds: Dataset, name: str) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    rec = ds.tables.get(name)
    if rec is None:
        return [], {}, ""
    return list(rec.data.get("rows", [])), rec.data, rec.rel


def derive(ds: Dataset, vocab: dict[str, dict[str, str]]) -> Derived:
    refs = ds.references
    cases = sorted((case_view(r, refs, vocab, ds.changed.get(r.rel, "")) for r in ds.cases), key=lambda c: c.id)
    by_id = {c.id: c for c in cases}

    by_paper: dict[str, list[CaseView]] = defaultdict(list)
    for c in cases:
        by_paper[c.paper].append(c)
    papers = []
    for key in sorted(by_paper, key=lambda k: (short_citation(refs.get(k), k).lower(), k)):
        ref = refs.get(key)
        stated = ref.get("reviewcases") if ref else ""
        papers.append({"key": key, "label": short_citation(ref, key), "cases": by_paper[key],
                       "n": len(by_paper[key]), "n_in_review": sum(1 for c in by_paper[key] if c.in_review),
                       "review_count": int(stated) if stated.isdigit() else None, "ref": ref})

    crow_data, ctable, crel = _rows(ds, "complaints")
    complaint_rows = []
    for i, row in enumerate(crow_data, 1):
        regions = row.get("body_regions") or []
        complaint_rows.append({"n": i, "id": row["id"], "text": row.get("text", ""), "regions": regions,
                               "foot_or_ankle": bool(FOOT_REGIONS & set(regions)), "toes": "toes" in regions,
                               "case": row.get("case"), "attribution": row.get("attribution"), "note": row.get("note", ""),
                               "source": ctable.get("source", {})})
    trow_data, ttable, trel = _rows(ds, "treatments")
    treatment_rows = []
    for i, row in enumerate(trow_data, 1):
        treatment_rows.append({"n": i, "id": row["id"], "agents": list(row.get("agents", [])),
                               "agents_as_written": row.get("agents_as_written", ""), "response": row.get("response", "not-reported"),
                               "response_as_written": row.get("response_as_written", ""), "case": row.get("case"),
                               "attribution": row.get("attribution"), "note": row.get("note", ""), "source": ttable.get("source", {})})

    responses = list(vocab["responses"])
    agent_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in treatment_rows:
        for a in row["agents"]:
            agent_rows[a].append(row)
    agent_cases: dict[str, list[tuple[CaseView, dict[str, Any]]]] = defaultdict(list)
    for c in cases:
        for t in c.treatments:
            for a in t.get("agents", []):
                agent_cases[a].append((c, t))
    agents = []
    for a in sorted(set(agent_rows) | set(agent_cases)):
        dist = Counter(r["response"] for r in agent_rows[a])
        agents.append({"id": a, "name": vocab["agents"].get(a, a), "rows": agent_rows[a], "n_rows": len(agent_rows[a]),
                       "alone": sum(1 for r in agent_rows[a] if len(r["agents"]) == 1),
                       "distribution": [(resp, vocab["responses"][resp], dist.get(resp, 0)) for resp in responses],
                       "case_treatments": agent_cases[a]})

    # back-links: bib key -> pages citing it (page path, title)
    backlinks: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in cases:
        for k in c.cites:
            backlinks[k].add((f"cases/{c.id}.md", f"Case {c.id}"))
    for p in papers:
        backlinks[p["key"]].add((f"papers/{p['key']}.md", f"Paper: {p['label']}"))
    if ctable:
        backlinks[ctable.get("source", {}).get("ref", "")].add(("complaints.md", "Complaint table"))
    if ttable:
        backlinks[ttable.get("source", {}).get("ref", "")].add(("treatments.md", "Drug-response table"))
    references = []
    for key in sorted(refs, key=lambda k: (short_citation(refs[k], k).lower(), k)):
        ref = refs[key]
        doi = ref.get("doi")
        references.append({"key": key, "short": short_citation(ref, key), "text": full_citation(ref), "ref": ref,
                           "doi_url": safe_url("https://doi.org/" + doi) if doi else None,
                           "pmid_url": f"https://pubmed.ncbi.nlm.nih.gov/{ref.get('pmid')}/" if ref.get("pmid").isdigit() else None,
                           "url": safe_url(ref.get("url")), "note": ref.get("note"),
                           "reviewref": ref.get("reviewref")})

    review_cases = [c for c in cases if c.in_review]
    figures = case_figures(cases, complaint_rows, treatment_rows, agents)
    figures["review"] = case_figures(review_cases, complaint_rows, treatment_rows, agents)
    return Derived(cases=cases, case_by_id=by_id, papers=papers, complaint_rows=complaint_rows,
                   treatment_rows=treatment_rows, agents=agents, references=references, figures=figures, vocab=vocab,
                   complaints_table={**ctable, "rel": crel}, treatments_table={**ttable, "rel": trel},
                   backlinks={k: sorted(v) for k, v in backlinks.items()})


def add_backlink(d: Derived, key: str, page: str, title: str) -> None:
    d.backlinks.setdefault(key, [])
    if (page, title) not in d.backlinks[key]:
        d.backlinks[key].append((page, title))
        d.backlinks[key].sort()


def _count(values: list[bool | None]) -> dict[str, int]:
    return {"yes": sum(1 for v in values if v is True), "no": sum(1 for v in values if v is False),
            "not_reported": sum(1 for v in values if v is None), "total": len(values)}


def case_figures(cases: list[CaseView], complaint_rows: list[dict[str, Any]], treatment_rows: list[dict[str, Any]],
                 agents: list[dict[str, Any]]) -> dict[str, Any]:
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
        "rows_attributed": sum(1 for r in treatment_rows + complaint_rows if r["case"]),
    }


# ---------------------------------------------------------------- claims, causes, survey (issue 3)

def _matches(obj: dict[str, Any], where: dict[str, Any]) -> bool:
    return all(obj.get(k) == v for k, v in where.items())


def survey_rows(survey: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for i, row in enumerate(survey.get("complaints", []), 1):
        regions = row.get("body_regions") or []
        rows.append({"n": i, "id": row["id"], "text": row.get("text", ""), "regions": regions,
                     "foot_or_ankle": bool(FOOT_REGIONS & set(regions)), "toes": "toes" in regions,
                     "hip_or_thigh": bool({"hip", "thigh"} & set(regions)), "note": row.get("note", "")})
    return rows


def derive_claims(claims: list[dict[str, Any]], case_objs: list[dict[str, Any]], d: Derived,
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
            derived = sum(1 for r in d.complaint_rows if _matches(r, where))
        elif metric == "treatment_rows":
            derived = sum(1 for r in d.treatment_rows if _matches(r, where))
        elif metric == "distinct_agents":
            derived = len({a for r in d.treatment_rows for a in r["agents"]})
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
        out.append({"id": cl["id"], "statement": cl["statement"], "source": {**cl["source"], "quote": cl["quote"]},
                    "stated": stated, "derived": derived, "agrees": agrees, "not_reported": unknown,
                    "note": cl.get("note", ""), "derive": spec})
    return out


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
    "possible-contributor": "possible contributor",
    "unlikely": "unlikely",
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
