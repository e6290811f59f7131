"""The review-table kind: the review's per-case tables, row by row (tables/complaints.yaml, tables/treatments.yaml).

Rows stay unattributed unless a source links them to a case (E203, E204). Also derives the agent
summary (one page per agent) from the drug rows and the case-attributed treatments.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from rdkb import tabular
from rdkb.kinds import case, series
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue
from rdkb.rules import declare

E201 = declare("E201", "duplicate row id in a table", "give every row its own id", "tables/E201-duplicate-row-id.yaml")
E203 = declare("E203", "table row linked to an unknown case", "case ids are file names in cases/", "tables/E203-unknown-case.yaml")
E204 = declare("E204", "table row linked to a case without an `attribution` (source + quote)",
               "link a row to a case only when a source says so; add `attribution: {source: ..., quote: ...}` or set `case: null`",
               "tables/E204-link-without-attribution.yaml")

E205 = declare("E205", "a table the site needs is missing (tables/complaints.yaml, tables/treatments.yaml)",
               "restore the file from git; the review's tables are part of the knowledge base", "tables/E205-missing-table.yaml")

FOOT_REGIONS = case.FOOT_REGIONS
REQUIRED = ("complaints", "treatments")


def check(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    case_ids = {c.id for c in ds.of("case")}
    present = {t.id for t in ds.of(KIND.name)}
    loaded_or_failed = present | {i.path.rsplit("/", 1)[-1].removesuffix(".yaml") for i in ds.issues if i.path.startswith("tables/")}
    for name in REQUIRED:
        if name not in loaded_or_failed:
            issues.append(E205.at(f"tables/{name}.yaml", 1, f"tables/{name}.yaml is missing"))
    for table in ds.of(KIND.name):
        seen: dict[str, int] = {}
        rows = table.data.get("rows")
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if not isinstance(row, dict):
                continue
            rid, line = row.get("id"), table.line(("rows", i))
            if isinstance(rid, str):
                if rid in seen:
                    issues.append(E201.at(table.rel, line, f"rows[{i}].id: duplicate row id {rid!r} (also line {seen[rid]})"))
                seen.setdefault(rid, line)
            linked = row.get("case")
            if isinstance(linked, str):
                if linked not in case_ids:
                    close = difflib.get_close_matches(linked, sorted(case_ids), n=1)
                    issues.append(E203.at(table.rel, table.line(("rows", i, "case")), f"rows[{i}].case: unknown case {linked!r}",
                                          (f"did you mean {close[0]!r}? " if close else "") + E203.hint))
                if "attribution" not in row:
                    issues.append(E204.at(table.rel, table.line(("rows", i, "case")),
                                          f"rows[{i}].case: row linked to {linked!r} without an attribution"))
    return issues


@dataclass(frozen=True)
class TablesView:
    complaint_rows: tuple[dict[str, Any], ...]
    treatment_rows: tuple[dict[str, Any], ...]
    agents: tuple[dict[str, Any], ...]
    synonyms: dict[str, tuple[str, ...]]  # agent -> spellings of the sources
    complaints_table: dict[str, Any]  # the table record's data, plus "rel"
    treatments_table: dict[str, Any]


def _table(ds: Dataset, name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rec = ds.one(KIND.name, name)
    if rec is None:
        return [], {}
    return list(rec.data.get("rows", [])), {**rec.data, "rel": rec.rel}


def derive(ds: Dataset, views: Views) -> TablesView:
    vocab = views.vocab
    cases = views.view(case.KIND).cases
    crow_data, ctable = _table(ds, "complaints")
    complaint_rows = []
    for i, row in enumerate(crow_data, 1):
        regions = row.get("body_regions") or []
        complaint_rows.append({"n": i, "id": row["id"], "text": row.get("text", ""), "regions": regions,
                               "foot_or_ankle": bool(FOOT_REGIONS & set(regions)), "toes": "toes" in regions,
                               "case": row.get("case"), "attribution": row.get("attribution"), "note": row.get("note", ""),
                               "source": ctable.get("source", {})})
    trow_data, ttable = _table(ds, "treatments")
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
    agent_cases: dict[str, list[tuple[case.CaseView, dict[str, Any]]]] = defaultdict(list)
    for c in cases:
        for t in c.treatments:
            for a in t.get("agents", []):
                agent_cases[a].append((c, t))
    agents = []
    for a in sorted(set(agent_rows) | set(agent_cases) | set(views.view(series.KIND).by_agent)):
        dist = Counter(r["response"] for r in agent_rows[a])
        agents.append({"id": a, "name": vocab["agents"].get(a, a), "rows": agent_rows[a], "n_rows": len(agent_rows[a]),
                       "alone": sum(1 for r in agent_rows[a] if len(r["agents"]) == 1),
                       "distribution": [(resp, vocab["responses"][resp], dist.get(resp, 0)) for resp in responses],
                       "case_treatments": agent_cases[a]})
    known = vocab.get("agent_synonyms", {})
    synonyms: dict[str, list[str]] = {}  # the sources' own spellings only (the vocabulary's go to search: derive)
    for row in treatment_rows:
        for part in row["agents_as_written"].split(","):
            part = part.strip()
            for a in row["agents"]:
                if part.lower() in known and known[part.lower()] == a:
                    synonyms.setdefault(a, [])
                    if part not in synonyms[a]:
                        synonyms[a].append(part)
    return TablesView(tuple(complaint_rows), tuple(treatment_rows), tuple(agents),
                      {k: tuple(sorted(v)) for k, v in synonyms.items()}, ctable, ttable)


def cites(v: TablesView) -> list[Citation]:
    out = []
    if v.complaints_table:
        out.append((v.complaints_table.get("source", {}).get("ref", ""), "complaints.md", "Complaint table"))
    if v.treatments_table:
        out.append((v.treatments_table.get("source", {}).get("ref", ""), "treatments.md", "Drug-response table"))
    return out


def title_aliases(name: str, spellings: tuple[str, ...] | list[str]) -> list[str]:
    """Other names an agent's page title shows (so a search for "Botox" or "L-dopa" finds the agent first): the
    sources' spellings, one per name regardless of case (the capitalised spelling preferred), without the name itself."""
    by_lower: dict[str, str] = {}
    for s in sorted(spellings, key=lambda x: (x.lower(), x == x.lower())):
        if s.lower() in name.lower():  # already in the name, e.g. "DBS" in "deep brain stimulation (DBS)"
            continue
        if s.lower().replace("-", "") not in (k.replace("-", "") for k in by_lower):
            by_lower[s.lower()] = s
    return list(by_lower.values())


def _chart(ctx: Context, file: str) -> Any:
    """A chart of the charts view (derived after this kind, read by name: the charts module imports this one)."""
    return {c["file"]: c for c in getattr(ctx.views.get("charts"), "charts", ())}.get(file)


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    cases = ctx.view(case.KIND).cases
    ctab, ttab = v.complaints_table, v.treatments_table
    trel = ttab.get("rel", "")
    out = [
        PagePlan("complaints.md", "complaints.md.j2", {"table": ctab, "rows": list(v.complaint_rows),
                                                       "chart": _chart(ctx, "charts/complaint-regions.svg"),
                                                       "changed": ctx.changed.get(ctab.get("rel", ""), "")},
                 Nav("Literature", "Complaints", "the review's complaint rows", "Main complaints"), since="0.1"),
        PagePlan("treatments.md", "treatments.md.j2", {"table": ttab, "rows": list(v.treatment_rows),
                                                       "chart": _chart(ctx, "charts/responses-by-agent.svg"),
                                                       "response_names": list(ctx.vocab["responses"].values()),
                                                       "case_treatments": [(c, t) for c in cases for t in c.treatments],
                                                       "series_rows": [(s, t) for s in ctx.view(series.KIND).series
                                                                       for t in s["treatments"]],
                                                       "changed": ctx.changed.get(trel, "")},
                 Nav("Literature", "Drug treatments", "the review's drug/response rows and a per-agent summary"), since="0.1"),
        PagePlan("agents/index.md", "agents/index.md.j2", {"changed": ctx.changed.get(trel, "")},
                 Nav("Literature", "Agents", "one page per drug"), since="0.1"),
    ]
    for a in v.agents:
        out.append(PagePlan(f"agents/{a['id']}.md", "agents/agent.md.j2", {
            "a": a, "synonyms": list(v.synonyms.get(a["id"], ())), "aliases": title_aliases(a["name"], v.synonyms.get(a["id"], ())),
            "treatments_rel": trel,
            "series_rows": list(ctx.view(series.KIND).by_agent.get(a["id"], ())),
            "changed": ctx.newest([trel] + [ct[0].rel for ct in a["case_treatments"]])}, since="0.1", search="boost"))
    return out


def _treatments(v: TablesView) -> list[dict[str, Any]]:
    return [{"id": r["id"], "agents": r["agents"], "agents_as_written": r["agents_as_written"], "response": r["response"],
             "response_as_written": r["response_as_written"], "case": r["case"], "source": r["source"]} for r in v.treatment_rows]


def _treatments_json(ctx: Context) -> list[OutFile]:
    return [OutFile("data/treatments.json", "json", _treatments(ctx.view(KIND)))]


TREATMENTS_CSV_HEADER = ["id", "agents", "agents_as_written", "response", "response_as_written", "case", "source"]


def _treatments_csv(ctx: Context) -> list[OutFile]:
    """rdkb.tabular's convention; `case` is not_reported where the review does not say which case a row is."""
    rows = [[t["id"], tabular.cell(t["agents"]), tabular.cell(t["agents_as_written"]),
             tabular.NOT_REPORTED if t["response"] in ("not-reported", None, "") else t["response"],
             tabular.cell(t["response_as_written"]), tabular.cell(t["case"]), tabular.cell(t["source"].get("ref"))]
            for t in _treatments(ctx.view(KIND))]
    return [OutFile("data/treatments.csv", "csv", (TREATMENTS_CSV_HEADER, rows))]


def _complaints_json(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    return [OutFile("data/complaints.json", "json", [{"id": r["id"], "text": r["text"], "body_regions": r["regions"],
                                                      "foot_or_ankle": r["foot_or_ankle"], "case": r["case"], "source": r["source"]}
                                                     for r in v.complaint_rows])]


KIND: Kind[TablesView] = Kind(
    name="table", folder="tables", schema="review-table.schema.json", check=check, derive=derive, cites=cites, pages=pages,
    description="the review's per-case tables, row by row",
    exports=(
        Export("treatments.json", "JSON array", "row of the review's drug table",
               "id, agents (list), agents_as_written, response, response_as_written, case (id or null), source",
               _treatments_json, since="0.1"),
        Export("treatments.csv", "CSV", "row of the review's drug table", "as treatments.json; agents ;-separated",
               _treatments_csv, since="0.1"),
        Export("complaints.json", "JSON array", "row of the review's complaint table",
               "id, text, body_regions, foot_or_ankle (bool), case (id or null), source", _complaints_json, since="0.1"),
    ),
)
