"""The case kind: one YAML record per published case (cases/<id>.yaml), and the paper pages built from them.

Facts and their labels come from the field table (rdkb.fields); the schema is case.schema.json.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from rdkb import fields, graph, tabular
from rdkb.kinds import literature, reference, series
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue, Record
from rdkb.rules import declare

E209 = declare("E209", "a same_patient_as link to an unknown case record, to the case itself, or to a case of the same paper",
               "same_patient_as names the case record (cases/<id>.yaml) of the same patient in ANOTHER report",
               "cases/E209-unknown-patient-link.yaml")

FOOT_REGIONS = frozenset({"toes", "foot", "ankle"})
UNSPECIFIED_LEG = "leg"  # body region vocabulary: the source says "leg" without a region
NOT_REPORTED = "not reported"
NOT_APPLICABLE = "not_applicable"
TRANSCRIBED = "transcribed, no verbatim text available"


# ---------------------------------------------------------------- three-state facts

def fact_status(fact: Any) -> str:
    return str(fact.get("status", "not_reported")) if isinstance(fact, dict) else "not_reported"


def fact_value(fact: Any) -> Any:
    """The value of a reported fact; None when not reported (or absent)."""
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


def display_value(value: Any, vocab: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(vocab["body_regions"].get(v, str(v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value in vocab["outcomes"]:
        return str(vocab["outcomes"][value])
    return str(value)


def display_fact(fact: Any, vocab: Any) -> dict[str, Any]:
    st = fact_status(fact)
    if st == "reported":
        text = display_value(fact.get("value"), vocab)
    elif st == "absent":
        text = "absent (explicitly)"
    else:
        text = NOT_REPORTED
    src = fact.get("source") if isinstance(fact, dict) else None
    quote = fact.get("quote", "") if isinstance(fact, dict) else ""
    if isinstance(fact, dict) and fact.get("transcribed"):
        quote = TRANSCRIBED
    return {"status": st, "text": text, "source": src, "quote": quote,
            "note": fact.get("note", "") if isinstance(fact, dict) else ""}


def _num(fact: Any) -> float | None:
    v = fact_value(fact)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _fmt_num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def status_sentence(fact: Any, what: str, any_what: str) -> str:
    """'The source says there was no drug treatment.' / 'Not reported: no source attributes a drug treatment to this case.'"""
    st = fact_status(fact)
    note = fact.get("note", "") if isinstance(fact, dict) else ""
    base = {"absent": f"The source says there was no {what}.",
            "not_reported": f"Not reported: no source attributes {any_what} to this case."}.get(st, "")
    return f"{base} {note}".strip()


# ---------------------------------------------------------------- the view

@dataclass(frozen=True)
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
    regions: tuple[str, ...] | None
    foot_or_ankle: bool | None
    adequately_described: bool | None
    spread_other: bool | None
    spread_walking: bool | None
    rest_tremor: bool | None
    parkinsons: bool | None
    outcome: str | None
    agents: tuple[str, ...]
    in_review: bool
    facts: tuple[dict[str, Any], ...]
    treatments: tuple[dict[str, Any], ...]
    interventions: tuple[dict[str, Any], ...]
    cites: tuple[str, ...]
    changed: str
    same_patient_as: tuple[dict[str, Any], ...] = ()  # links to the same patient in other reports (case, certainty, evidence)

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


def foot_or_ankle(regions: tuple[str, ...] | None) -> bool | None:
    """True when a foot region is named; None when unknown: no regions, or only an unspecified 'leg' besides
    non-foot regions (a 'leg' the source does not place may include the foot)."""
    if regions is None:
        return None
    if FOOT_REGIONS & set(regions):
        return True
    return None if UNSPECIFIED_LEG in regions else False


def case_view(rec: Record, refs: reference.ReferencesView, vocab: Any, changed: str) -> CaseView:
    d = rec.data
    regions = fact_value(d.get("body_regions"))
    regions = tuple(regions) if isinstance(regions, list) else None
    treatments = d.get("treatments", {})
    items = treatments.get("items", []) if fact_status(treatments) == "reported" else []
    agents = tuple(sorted({a for t in items for a in t.get("agents", [])}))
    interventions = d.get("other_interventions", {})
    iv_items = interventions.get("items", []) if fact_status(interventions) == "reported" else []
    facts = []
    in_review = bool(d.get("in_review"))
    for f in fields.CASE_FIELDS:
        if f.review_only and not in_review:
            facts.append({"status": NOT_APPLICABLE, "text": "not applicable (the review's judgement of its own cases)",
                          "source": None, "quote": "", "note": "", "field": f.name, "title": f.label,
                          "search": False})
        elif f.name in d:
            row = display_fact(d[f.name], vocab)
            row["field"], row["title"], row["search"] = f.name, f.label, f.search
            facts.append(row)
    cites = sorted(reference.cited_key_set(d) | {d.get("paper", "")})
    label = fact_value(d.get("label"))
    paper = d.get("paper", "")
    return CaseView(
        id=rec.id, rel=rec.rel, record=rec, paper=paper, paper_label=refs.short(paper),
        label=str(label) if label else "", sex=display_fact(d.get("sex"), vocab)["text"],
        age_presentation=_num(d.get("age_at_presentation")), age_onset=_num(d.get("age_at_onset")),
        age_unstated=_num(d.get("age_timing_unstated")),
        side=display_fact(d.get("side"), vocab)["text"], regions=regions,
        foot_or_ankle=foot_or_ankle(regions),
        adequately_described=tri(d.get("adequately_described")) if in_review else None,
        spread_other=tri(d.get("spread_to_other_activities")), spread_walking=tri(d.get("spread_to_walking")),
        rest_tremor=tri(d.get("rest_tremor")), parkinsons=tri(d.get("parkinsons_disease")),
        outcome=fact_value(d.get("outcome")), agents=agents, in_review=bool(d.get("in_review")),
        facts=tuple(facts), treatments=tuple(items), interventions=tuple(iv_items), cites=tuple(c for c in cites if c),
        changed=changed,
        same_patient_as=tuple(dict(x) for x in (d.get("same_patient_as") or []) if isinstance(x, dict)),
    )


def case_object(c: CaseView) -> dict[str, Any]:
    """A case as cases.json holds it (and as the claims engine reads it): every fact of the field table."""
    data = c.record.data
    obj: dict[str, Any] = {"id": c.id, "paper": c.paper, "in_review": c.in_review}
    for f in fields.CASE_FIELDS:
        fact = data.get(f.name)
        st = NOT_APPLICABLE if f.review_only and not c.in_review else fact_status(fact)
        obj[f.name] = fact_value(fact) if st == "reported" else (False if st == "absent" else None)
        obj[f.name + "_status"] = st
    obj["foot_or_ankle"] = c.foot_or_ankle
    obj["treatments"] = [{"agents": t["agents"], "response": t["response"], "source": t["source"]} for t in c.treatments]
    obj["treatments_status"] = fact_status(data.get("treatments"))
    obj["sources"] = {f.name: data[f.name]["source"] for f in fields.CASE_FIELDS
                      if isinstance(data.get(f.name), dict) and "source" in data[f.name]}
    obj["same_patient_as"] = [{"case": x.get("case"), "certainty": x.get("certainty")} for x in c.same_patient_as]
    obj["record"] = f"records/{c.rel}"
    return obj


@dataclass(frozen=True)
class CasesView:
    cases: tuple[CaseView, ...]  # sorted by id
    by_id: dict[str, CaseView]
    papers: tuple[dict[str, Any], ...]  # one per paper with cases: key, label, cases, n, n_in_review, review_count, ref
    objects: tuple[dict[str, Any], ...]  # cases.json items, same order as cases
    panel: dict[str, Any]  # the case table's figures panel: what it shows and every case's values (panel_data)
    patients: tuple[tuple[str, ...], ...] = ()  # case ids grouped by patient (a same_patient_as link joins two records)

    @property
    def n_patients(self) -> int:
        """Patients counted once each: case records joined by a same_patient_as link (either certainty) count as one."""
        return len(self.patients)

    @property
    def n_patients_certain(self) -> int:
        """Patients when only 'same' links join records ('possibly-same' records counted apart): the upper bound."""
        return len(patient_groups(self.cases, certain_only=True))


def patient_groups(cases: Iterable[CaseView], certain_only: bool = False) -> tuple[tuple[str, ...], ...]:
    """Case ids grouped by patient: the connected components of the same_patient_as links (to known cases)."""
    cases = list(cases)
    pairs = [(c.id, str(link.get("case"))) for c in cases for link in c.same_patient_as
             if link.get("case") != c.id and (not certain_only or link.get("certainty") == "same")]
    return graph.components([c.id for c in cases], pairs)


def check(ds: Dataset) -> list[Issue]:
    recs = {r.id: r for r in ds.of(KIND.name)}
    issues: list[Issue] = []
    for r in recs.values():
        links = r.data.get("same_patient_as")
        for i, link in enumerate(links if isinstance(links, list) else []):
            other = link.get("case") if isinstance(link, dict) else None
            if not isinstance(other, str):
                continue
            why = ("unknown case record" if other not in recs else "the case itself" if other == r.id
                   else "a case of the same paper" if recs[other].data.get("paper") == r.data.get("paper") else "")
            if why:
                issues.append(E209.at(r.rel, r.line(("same_patient_as", i, "case")), f"same_patient_as[{i}].case: {other!r} is {why}"))
    return issues


def derive(ds: Dataset, views: Views) -> CasesView:
    refs = views.view(reference.KIND)
    cases = tuple(sorted((case_view(r, refs, views.vocab, views.changed.get(r.rel, "")) for r in ds.of(KIND.name)),
                         key=lambda c: c.id))
    by_paper: dict[str, list[CaseView]] = defaultdict(list)
    for c in cases:
        by_paper[c.paper].append(c)
    papers = []
    for key in sorted(by_paper, key=lambda k: (refs.short(k).lower(), k)):
        ref = ds.references.get(key)
        stated = ref.get("reviewcases") if ref else ""
        papers.append({"key": key, "label": refs.short(key), "cases": by_paper[key],
                       "n": len(by_paper[key]), "n_in_review": sum(1 for c in by_paper[key] if c.in_review),
                       "review_count": int(stated) if stated.isdigit() else None, "ref": ref})
    return CasesView(cases, {c.id: c for c in cases}, tuple(papers), tuple(case_object(c) for c in cases),
                     panel_data(cases, views.vocab), patient_groups(cases))


# ---------------------------------------------------------------- the case table's figures panel
# The panel on /cases/ shows, for the rows the table shows, each fact of the field table marked `panel`:
# a share (one value per case: sex, side, yes/no facts, outcome), a set (several values per case: body
# regions) or a distribution (ages; durations read from the source's wording), plus the drugs with their
# responses. `panel_data` is what the page embeds for kb.js (the figures' declarations and each case's
# values); `panel_figures` computes the figures for a set of case ids, as kb.js does in the browser, so the
# page shows them for every case without JS. "not reported" is always counted apart, never as "no".

PANEL_BIN_WIDTH = {"ageFact": 10, "textFact": 5}  # years per histogram bar, by fact type
FOOT_OR_ANKLE_LABEL = "Foot/ankle involved"  # the derived fact of the case table, shown after body regions
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())} | {"a": 1, "an": 1}
_YEARS = re.compile(r"(\d+(?:\.\d+)?|[a-z]+)[ -](years?|months?)\b", re.IGNORECASE)


def years_from_wording(text: str) -> float | None:
    """A duration in years when the source's wording starts with one plainly ('three years', '18 months',
    '5 years of progressive gait impairment'); None for anything else ('about 3 years', 'since childhood')."""
    m = _YEARS.match(text.strip())
    if not m:
        return None
    word = m.group(1).lower()
    n = float(word) if word[0].isdigit() else _NUMBER_WORDS.get(word)
    if n is None:
        return None
    return n if m.group(2).lower().startswith("year") else round_half_up(n / 12, 2)


def round_half_up(x: float, digits: int = 1) -> float:
    """Rounding as JavaScript's Math.round does it (kb.js must print the same figures)."""
    scale = 10 ** digits
    return math.floor(x * scale + 0.5) / scale


def fmt_figure(x: float) -> str:
    """A figure as the panel prints it: an integer without decimals, anything else to one decimal."""
    r = round_half_up(x)
    return str(int(r)) if r.is_integer() else str(r)


def _panel_kind(f: fields.CaseField) -> str:
    if f.fact_type == "regionsFact":
        return "set"
    if f.fact_type in PANEL_BIN_WIDTH:
        return "distribution"
    return "share"


def _share_values(f: fields.CaseField, vocab: Any) -> list[list[Any]]:
    """[value, label] for every value the schema allows, in schema order."""
    if f.fact_type == "boolFact":
        return [[True, "yes"], [False, "no"]]
    if f.fact_type == "regionsFact":
        return [[v, label] for v, label in vocab["body_regions"].items()]
    branch = next(b for b in fields.case_schema()["$defs"][f.fact_type]["oneOf"] if "properties" in b)
    return [[v, display_value(v, vocab)] for v in branch["properties"]["value"]["enum"]]


def _panel_value(f: fields.CaseField, fact: Any) -> Any:
    """A case's value in the panel: null when not reported; a distribution of a text fact holds the number of years
    read from the wording, or the wording itself when it does not plainly give one."""
    st = fact_status(fact)
    if f.fact_type == "boolFact":
        return tri(fact)
    if st != "reported":
        return None
    v = fact_value(fact)
    if f.fact_type == "textFact":
        years = years_from_wording(str(v))
        return str(v) if years is None else years
    return v


def _bins(values: list[float], width: int) -> list[int]:
    """Lower edges of the histogram bars, the same for every filter: from the lowest to the highest value of all cases."""
    if not values:
        return []
    lo, hi = int(math.floor(min(values) / width) * width), int(math.floor(max(values) / width) * width)
    return list(range(lo, hi + 1, width))


def panel_data(cases: tuple[CaseView, ...], vocab: Any) -> dict[str, Any]:
    """What /cases/ embeds for its figures panel: the figures (from the field table) and every case's values (a fact
    that is not reported has no key, which keeps the page small at thousands of cases)."""
    figures: list[dict[str, Any]] = []
    values: dict[str, dict[str, Any]] = {c.id: {} for c in cases}
    for f in fields.CASE_FIELDS:
        if not f.panel:
            continue
        kind = _panel_kind(f)
        for c in cases:
            if (v := _panel_value(f, c.record.data.get(f.name))) is not None:  # a missing key is "not reported"
                values[c.id][f.name] = v
        fig: dict[str, Any] = {"name": f.name, "label": f.label, "kind": kind}
        if kind == "distribution":
            width = PANEL_BIN_WIDTH[f.fact_type]
            nums = [v for c in cases if isinstance(v := values[c.id].get(f.name), (int, float)) and not isinstance(v, bool)]
            fig |= {"unit": "years", "bin": width, "bins": _bins(nums, width),
                    "read_from_wording": f.fact_type == "textFact"}
        else:
            fig["values"] = _share_values(f, vocab)
        figures.append(fig)
        if f.name == "body_regions":
            for c in cases:
                if c.foot_or_ankle is not None:
                    values[c.id]["foot_or_ankle"] = c.foot_or_ankle
            figures.append({"name": "foot_or_ankle", "label": FOOT_OR_ANKLE_LABEL, "kind": "share",
                            "values": [[True, "yes"], [False, "no"]]})
    for c in cases:
        tr = c.record.data.get("treatments")
        values[c.id]["treatments"] = {"status": fact_status(tr),
                                      "items": [{"agents": list(t["agents"]), "response": t["response"]} for t in c.treatments]}
    used = {a for c in cases for a in c.agents}
    return {
        "figures": figures,
        "agents": [[a, name] for a, name in vocab["agents"].items() if a in used],
        "responses": [[r, label] for r, label in vocab["responses"].items()],
        "no_response": "not-reported",
        "cases": values,
    }


def _share_rows(values: list[list[Any]], got: list[Any], n: int, kind: str) -> list[dict[str, Any]]:
    rows = []
    for value, label in values:
        k = sum(1 for v in got if v is not None and (value in v if kind == "set" else v == value))
        rows.append({"label": label, "k": k, "pct": round_half_up(100 * k / n) if n else 0})
    return rows


def panel_figures(data: dict[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """The panel's figures over the cases `ids` (kb.js computes the same for the rows a filter leaves)."""
    wanted = set(ids)
    rows = [r for i, r in data["cases"].items() if i in wanted]  # in id order, as kb.js reads them
    n = len(rows)
    out: list[dict[str, Any]] = []
    for fig in data["figures"]:
        got = [r.get(fig["name"]) for r in rows]
        missing = sum(1 for v in got if v is None)
        item: dict[str, Any] = {"name": fig["name"], "label": fig["label"], "kind": fig["kind"], "n": n, "missing": missing}
        if fig["kind"] == "distribution":
            nums = sorted(v for v in got if isinstance(v, (int, float)) and not isinstance(v, bool))
            item["unit"], item["read_from_wording"] = fig["unit"], fig["read_from_wording"]
            item["reported"] = len(nums)
            item["unread"] = [v for v in got if isinstance(v, str)]
            item["stats"] = None
            if nums:
                mid = len(nums) // 2
                median = nums[mid] if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2
                item["stats"] = {"min": fmt_figure(nums[0]), "median": fmt_figure(median), "max": fmt_figure(nums[-1])}
            bars = []
            for lo in fig["bins"]:
                k = sum(1 for v in nums if lo <= v < lo + fig["bin"])
                bars.append({"label": f"{lo}\u2013{lo + fig['bin'] - 1}", "k": k,
                             "pct": round_half_up(100 * k / len(nums)) if nums else 0})
            item["rows"] = bars
        else:
            item["reported"] = n - missing
            item["missing_pct"] = round_half_up(100 * missing / n) if n else 0
            item["rows"] = _share_rows(fig["values"], got, n, fig["kind"])
        out.append(item)
    treat = [r["treatments"] for r in rows]
    labels = dict(data["responses"])
    agents = []
    for agent, name in data["agents"]:
        regimens = [it for t in treat for it in t["items"] if agent in it["agents"]]
        treated = sum(1 for t in treat if any(agent in it["agents"] for it in t["items"]))
        grades = [{"label": labels[r], "k": k} for r in labels
                  if r != data["no_response"] and (k := sum(1 for it in regimens if it["response"] == r))]
        agents.append({"name": name, "k": treated, "pct": round_half_up(100 * treated / n) if n else 0,
                       "regimens": len(regimens), "grades": grades,
                       "no_response": sum(1 for it in regimens if it["response"] == data["no_response"])})
    drugs = {"n": n, "reported": sum(1 for t in treat if t["status"] == "reported"),
             "absent": sum(1 for t in treat if t["status"] == "absent"),
             "missing": sum(1 for t in treat if t["status"] not in ("reported", "absent")), "agents": agents}
    return {"n": n, "figures": out, "drugs": drugs}


def script_json(value: Any) -> str:
    """JSON for a <script type="application/json"> element: no '<', '>' or '&' survives, so no text a contributor
    wrote (say '</script><img src=x onerror=...>') can close the element or start markup; JSON.parse reads it back."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def cites(v: CasesView) -> list[Citation]:
    out = [(k, f"cases/{c.id}.md", f"Case {c.id}") for c in v.cases for k in c.cites]
    out += [(p["key"], f"papers/{p['key']}.md", f"Paper: {p['label']}") for p in v.papers]
    return out


def case_page(c: CaseView) -> PagePlan:
    """The page of one case: made from its record alone (with the site-wide bibliography and vocabulary)."""
    return PagePlan(f"cases/{c.id}.md", "cases/case.md.j2", {
        "c": c, "notes": c.record.data.get("notes", ""), "changed": c.changed,
        "treatments_status": status_sentence(c.record.data.get("treatments", {}), "drug treatment", "a drug treatment"),
        "interventions_status": status_sentence(c.record.data.get("other_interventions", {}), "other intervention",
                                                "any other intervention")},
        since="0.1", search="boost", inputs=(c.rel,))


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    refs = ctx.view(reference.KIND)
    newest = ctx.newest([c.rel for c in v.cases])
    out = [PagePlan("cases/index.md", "cases/index.md.j2", {"case_records": [c.rel for c in v.cases], "changed": newest,
                                                            "panel": panel_figures(v.panel, [c.id for c in v.cases]),
                                                            "panel_json": script_json(v.panel)},
                    Nav("Literature", "Cases", "every case, one row each, linking to a page per case", "Literature cases"), since="0.1")]
    out += [case_page(c) for c in v.cases]
    ledger = ctx.view(literature.ACCESS)
    case_papers = {p["key"] for p in v.papers}
    out.append(similar_page(ctx, v, newest))
    out.append(PagePlan("papers/index.md", "papers/index.md.j2", {
        "changed": max(newest, ctx.newest([ledger.rel])), "ledger": ledger, "case_papers": sorted(case_papers)},
                        Nav("Literature", "Papers", "the case papers and their cases"), since="0.1"))
    for p in v.papers:
        ref = p["ref"]
        view = refs.by_key.get(p["key"])
        ext = []
        if view is not None:
            if view["doi_url"]:
                ext.append((f"DOI {ref.get('doi')}", view["doi_url"]))
            if view["pmid_url"]:
                ext.append((f"PubMed {ref.get('pmid')}", view["pmid_url"]))
            if not ext and view["url"]:
                ext.append(("Web page", view["url"]))
            if not ext and ref is not None and ref.get("title"):  # no identifier: where to look for it
                ext.append(("Search PubMed for the title", "https://pubmed.ncbi.nlm.nih.gov/?term=" + quote_plus(ref.get("title"))))
        out.append(PagePlan(f"papers/{p['key']}.md", "papers/paper.md.j2", {
            "p": p, "citation": view["text"] if view is not None else p["key"], "ext_links": ext,
            "paper_notes": ref.get("note") if ref is not None else "",
            "series": list(ctx.view(series.KIND).by_paper.get(p["key"], ())),
            "access": ledger.by_key.get(p["key"]),
            "changed": ctx.newest([c.rel for c in p["cases"]])}, since="0.1", inputs=tuple(c.rel for c in p["cases"])))
    return out


def similar_page(ctx: Context, v: CasesView, newest: str) -> PagePlan:
    """"Find similar published cases": the form's choices and, embedded in the page, the cases.json items it ranks
    (kb.js, "similar cases"), with the short citations of their sources. Nothing is fetched or sent."""
    refs = ctx.view(reference.KIND)
    keys = sorted({src["ref"] for o in v.objects for src in (*o["sources"].values(), *(t["source"] for t in o["treatments"] or []))
                   if isinstance(src, dict) and src.get("ref")} | {o["paper"] for o in v.objects})
    vocab = ctx.vocab
    keep = ("id", "paper", "sex", "age_at_onset", "side", "body_regions", "main_complaint", "symptom_locus", "symptom_origin",
            "duration_at_presentation", "spread_to_walking", "rest_tremor", "parkinsons_disease", "outcome", "treatments_status")
    # only what the ranking and the results show (the page stays small at thousands of cases): of the sources, the
    # works the case's facts and treatments cite besides its paper, each once (per fact, they were 2/3 of the page)
    def cited(o: Mapping[str, Any]) -> list[str]:
        found = {src.get("ref") for src in (o.get("sources") or {}).values() if isinstance(src, dict)}
        found |= {(t.get("source") or {}).get("ref") for t in o.get("treatments") or []}
        return sorted(k for k in found if isinstance(k, str) and k and k != o.get("paper"))

    slim = [{**{k: o.get(k) for k in keep},
             "treatments": [{"agents": t.get("agents", []), "response": t.get("response")} for t in o.get("treatments") or []],
             "cited": cited(o)}
            for o in v.objects]
    data = {"cases": slim, "refs": {k: refs.short(k) for k in keys},
            "agents": dict(vocab["agents"]), "responses": dict(vocab["responses"]), "regions": dict(vocab["body_regions"]),
            "outcomes": dict(vocab["outcomes"])}
    choices = {"sex": sorted({o["sex"] for o in v.objects if o.get("sex")}),
               "side": sorted({o["side"] for o in v.objects if o.get("side")} | {"left", "right"}),
               "regions": list(vocab["body_regions"].items()), "agents": list(vocab["agents"].items())}
    return PagePlan("cases/similar.md", "cases/similar.md.j2", {
        "n_cases": len(v.cases), "choices": choices, "data_json": script_json(data),
        "records": [c.rel for c in v.cases], "changed": newest},
        Nav("Literature", "Find similar cases", "rank the published cases by what you see in your patient"), since="0.8")


def _cases_json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/cases.json", "json", list(ctx.view(KIND).objects))]


def _cases_csv(ctx: Context) -> list[OutFile]:
    header = fields.csv_header()
    rows = [[_csv_cell(o, h) for h in header] for o in ctx.view(KIND).objects]
    return [OutFile("data/cases.csv", "csv", (header, rows))]


def _csv_cell(o: Mapping[str, Any], h: str) -> Any:
    """A cases.csv cell (rdkb.tabular): a fact by its status; foot_or_ankle follows body_regions."""
    if f"{h}_status" in o:
        return tabular.fact_cell(o[h], o[f"{h}_status"])
    if h == "foot_or_ankle":
        return tabular.fact_cell(o[h], o["body_regions_status"])
    return tabular.cell(o.get(h))


TREATMENT_LONG_HEADER = ["case_id", "paper", "in_review", "agent", "agent_name", "status", "regimen", "response",
                         "response_wording", "source_ref", "source_locator"]


def treatment_long_rows(case_recs: list[Record], vocab: Any) -> list[list[Any]]:
    """One row per case and agent of the vocabulary: given (with the response) / absent / not reported."""
    agents = list(vocab["agents"])
    out = []
    for rec in case_recs:
        data = rec.data
        paper, in_review = data.get("paper", ""), tabular.cell(bool(data.get("in_review")))
        tr: dict[str, Any] = data["treatments"] if isinstance(data.get("treatments"), dict) else {}
        status = tr.get("status", "not_reported")
        items = (tr.get("items") or []) if status == "reported" else []
        for a in agents:
            hits = [it for it in items if a in (it.get("agents") or [])]
            na = tabular.NOT_APPLICABLE
            if not hits:
                st = "absent" if status == "absent" else tabular.NOT_REPORTED
                src = (tr.get("source") or {}) if status == "absent" else {}
                out.append([rec.id, paper, in_review, a, vocab["agents"][a], st, na, na, na, tabular.cell(src.get("ref"), na),
                            tabular.cell(src.get("locator"), na)])
            for it in hits:
                regimen = " + ".join(it.get("agents") or [])
                src = it.get("source") or {}
                response = it.get("response", "not-reported")
                out.append([rec.id, paper, in_review, a, vocab["agents"][a], "given", regimen,
                            tabular.NOT_REPORTED if response == "not-reported" else response,
                            tabular.cell(it.get("response_wording")), tabular.cell(src.get("ref")), tabular.cell(src.get("locator"))])
    return out


def _treatments_long(ctx: Context) -> list[OutFile]:
    rows = treatment_long_rows([c.record for c in ctx.view(KIND).cases], ctx.vocab)
    return [OutFile("data/treatments-long.csv", "csv", (TREATMENT_LONG_HEADER, rows))]


def _csv_fields() -> str:
    return (", ".join(fields.csv_header()) + " (body_regions ;-separated; a fact's value, or not_reported / not_applicable as "
            "the record says, or absent where the source says there was none; booleans true / false)")


KIND: Kind[CasesView] = Kind(
    name="case", folder="cases", schema="case.schema.json", check=check, derive=derive, cites=cites, pages=pages,
    reserved=("index", "similar"),
    description="one record per published case",
    exports=(
        Export("cases.json", "JSON array", "case",
               "id, paper, in_review, each fact of the field table (value or null) with <fact>_status (reported / not_reported / "
               "not_applicable; absent for a text fact the source says there was none of), foot_or_ankle, treatments, "
               "treatments_status (reported / absent / not_reported), sources, record", _cases_json, since="0.1"),
        Export("cases.csv", "CSV", "case", _csv_fields(), _cases_csv, since="0.1"),
        Export("treatments-long.csv", "CSV (long format)", "case and agent of the vocabulary",
               ", ".join(TREATMENT_LONG_HEADER) + ". status: given / absent / not_reported; regimen: the agents given together "
               "(+-separated); response from the controlled vocabulary (not_reported when the source gives none); regimen, "
               "response and response_wording are not_applicable for an agent not given",
               _treatments_long, since="0.3"),
    ),
)
