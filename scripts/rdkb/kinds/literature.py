"""The living review's search: the protocol (literature/protocol.yaml) and every screened candidate
(literature/candidates.yaml), with the PRISMA-style flow computed from the decisions.

A non-peer-reviewed item is `background`: listed, never counted as a case. Suspected overlap between reports is a
relation with its reason; figures that count patients across reports show a range where it is unresolved.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rdkb.clock import today
from rdkb.kinds.base import Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue
from rdkb.rules import declare

W701 = declare("W701", "the last literature search is more than 12 months old",
               "run the search again (README: 'Run the literature search again') and update date_of_search",
               "literature/W701-stale-search.yaml", warning=True)
E702 = declare("E702", "a screened report that is included or background but not in the bibliography, or an overlap "
               "with an unknown report", "add the report to bib/references.bib (or fix the key)", "literature/E702-unknown-report.yaml")

E704 = declare("E704", "a report outside the review (a case with `in_review: false`, or a series of a paper that is not "
               "one of the review's: no `reviewcases` in its bib entry, no case with `in_review: true`) without an `include` entry in literature/candidates.yaml",
               "add the report to literature/candidates.yaml with `decision: include`, its reason, URLs and `searched` date "
               "(README: 'Run the literature search again')", "series/E704-not-screened.yaml")

EXCLUSIONS = {
    "duplicate-record": "duplicate record",
    "before-window-in-kb": "published before the search window (already in the knowledge base)",
    "before-window": "published before the search window",
    "not-running-triggered": "not triggered by running",
    "not-leg-dystonia": "not a leg dystonia",
    "not-dystonia": "not a dystonia",
    "no-patient-report": "reports no patient",
}


def _date(text: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None


def check(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    proto = ds.one(PROTOCOL.name)
    if proto is not None:
        searched = _date(proto.data.get("date_of_search"))
        if searched is not None and (today() - searched).days > 365:
            issues.append(W701.at(proto.rel, proto.line(("date_of_search",)), f"date_of_search {searched} is "
                                  f"{(today() - searched).days} days old"))
    rec = ds.one(KIND.name)
    if rec is not None and isinstance(rec.data.get("candidates"), list) and not ds.bib_refused:
        cands = [c for c in rec.data["candidates"] if isinstance(c, dict)]
        keys = {c.get("key") for c in cands}
        for i, c in enumerate(cands):
            if c.get("decision") in ("include", "background") and c.get("key") not in ds.references:
                issues.append(E702.at(rec.rel, rec.line(("candidates", i, "key")), f"candidates[{i}]: {c.get('key')!r} is "
                                      f"{c.get('decision')}d but not in {ds.bib_path}"))
            for j, o in enumerate(c.get("suspected_overlap") or []):
                if isinstance(o, dict) and o.get("key") not in keys and o.get("key") not in ds.references:
                    issues.append(E702.at(rec.rel, rec.line(("candidates", i, "suspected_overlap", j, "key")),
                                          f"candidates[{i}].suspected_overlap[{j}]: unknown report {o.get('key')!r}"))
        issues += _unscreened(ds, {c.get("key") for c in cands if c.get("decision") == "include"})
    return issues


def _unscreened(ds: Dataset, included: set[Any]) -> list[Issue]:
    """E704: every report the knowledge base counts beyond the review was found and included by the search."""
    review_papers = ({r.data.get("paper") for r in ds.of("case") if r.data.get("in_review") is True}
                     | {k for k, ref in ds.references.items() if str(ref.get("reviewcases") or "").isdigit()})
    issues = []
    for r in ds.of("case"):  # (an unknown paper is E202's)
        if r.data.get("in_review") is False and r.data.get("paper") in ds.references and r.data.get("paper") not in review_papers | included:
            issues.append(E704.at(r.rel, r.line(("paper",)), f"paper: {r.data.get('paper')!r} is a report outside the review "
                                  "with no `include` entry in literature/candidates.yaml"))
    for r in ds.of("series"):
        paper = r.data.get("paper")
        if paper in ds.references and paper not in review_papers and paper not in included:
            issues.append(E704.at(r.rel, r.line(("paper",)), f"paper: {paper!r} has a series record but no `include` entry "
                                  "in literature/candidates.yaml"))
    return issues


@dataclass(frozen=True)
class LiteratureView:
    protocol: dict[str, Any]
    candidates: tuple[dict[str, Any], ...]
    flow: dict[str, Any]  # identified, duplicates, screened, excluded (by reason), background, included
    overlaps: tuple[tuple[str, str, str], ...]  # (key, other key, reason), each pair once
    searched: str  # date of the last search ("" when there is no protocol)
    rels: tuple[str, ...]

    @property
    def included(self) -> tuple[dict[str, Any], ...]:
        return tuple(c for c in self.candidates if c["decision"] == "include")


def derive(ds: Dataset, views: Views) -> LiteratureView:
    proto = ds.one(PROTOCOL.name)
    rec = ds.one(KIND.name)
    cands = [dict(c) for c in (rec.data.get("candidates", []) if rec else [])]
    decisions = Counter(c["decision"] for c in cands)
    reasons = Counter(c.get("exclusion", "") for c in cands if c["decision"] == "exclude")
    dup = reasons.get("duplicate-record", 0)
    flow = {"identified": len(cands), "duplicates": dup, "screened": len(cands) - dup,
            "excluded": decisions.get("exclude", 0) - dup,
            "excluded_by_reason": [(EXCLUSIONS[k], n) for k, n in sorted(reasons.items()) if k and k != "duplicate-record"],
            "background": decisions.get("background", 0), "included": decisions.get("include", 0)}
    pairs: dict[tuple[str, str], str] = {}
    for c in cands:
        for o in c.get("suspected_overlap") or []:
            a, b = sorted((c["key"], o["key"]))
            pairs.setdefault((a, b), o["reason"])
    rels = tuple(r.rel for r in (proto, rec) if r is not None)
    return LiteratureView(dict(proto.data) if proto else {}, tuple(cands), flow,
                          tuple((a, b, why) for (a, b), why in sorted(pairs.items())),
                          str(proto.data.get("date_of_search", "")) if proto else "", rels)


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.protocol:
        return []
    groups = {d: [c for c in v.candidates if c["decision"] == d] for d in ("include", "background", "exclude")}
    return [PagePlan("literature/index.md", "literature/index.md.j2", {
        "p": v.protocol, "flow": v.flow, "groups": groups, "overlaps": list(v.overlaps), "exclusions": EXCLUSIONS,
        "records": list(v.rels), "changed": ctx.newest(v.rels)},
        Nav("Literature", "Literature search", "the living review's search protocol, every screened report and the flow"),
        since="0.5")]


def _reports(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    if not v.candidates:
        return []
    keep = ("key", "citation", "identifiers", "publication_type", "peer_reviewed", "decision", "exclusion", "reason", "urls",
            "suspected_overlap")
    return [OutFile("data/reports.json", "json", {"date_of_search": v.searched, "flow": v.flow,
                                                  "reports": [{**{k: c.get(k) for k in keep}, "searched": c.get("searched", v.searched)}
                                                              for c in v.candidates]})]


PROTOCOL: Kind[None] = Kind(name="protocol", folder="literature", single="protocol", schema="protocol.schema.json",
                            description="the living review's search protocol")
KIND: Kind[LiteratureView] = Kind(
    name="screening", folder="literature", single="candidates", schema="screening.schema.json", check=check, derive=derive,
    pages=pages, description="every candidate report of the search, with its screening decision",
    exports=(Export("reports.json", "JSON object", "screened report",
                    "date_of_search; flow (identified, duplicates, screened, excluded, excluded_by_reason, background, included; "
                    "computed from the decisions); reports: key, citation, identifiers, publication_type, peer_reviewed, "
                    "decision (include / exclude / background), exclusion, reason, urls, suspected_overlap (key, reason), "
                    "searched (the date the report was found: its own `searched`, else the protocol's date_of_search)",
                    _reports, since="0.5"),),
)
