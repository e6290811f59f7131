"""The living review's search: the protocol (literature/protocol.yaml) and every screened candidate
(literature/candidates.yaml), with the PRISMA-style flow computed from the decisions.

A non-peer-reviewed item is `background`: listed, never counted as a case. Suspected overlap between reports is a
relation with its reason; figures that count patients across reports show a range where it is unresolved.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rdkb.clock import today
from rdkb.kinds import reference
from rdkb.kinds.base import Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue
from rdkb.rules import declare
from rdkb.safetext import https_url, record_url

W701 = declare("W701", "the last literature search is more than 12 months old",
               "run the search again (README: 'Run the literature search again') and update date_of_search",
               "literature/W701-stale-search.yaml", warning=True)
E703 = declare("E703", "an access-ledger entry for a work not in the bibliography, twice for one work, or an included "
               "report or a case paper of the review without a ledger entry", "add the report to literature/access.yaml (what was read, where, when, "
               "at what level, what was not reachable), or fix its key", "literature/E703-access-ledger.yaml")
E702 = declare("E702", "a screened report that is included or background but not in the bibliography, or an overlap "
               "with an unknown report", "add the report to bib/references.bib (or fix the key)", "literature/E702-unknown-report.yaml")
E704 = declare("E704", "a screened report's URL that is not a valid http(s):// address (only https:// ones are linked)",
               "give the address as the browser shows it: https:// (or http://), a host name, no spaces, quotes, < > or "
               "backslashes (%-encode other characters)", "literature/E704-bad-url.yaml")

E705 = declare("E705", "a report outside the review (a case with `in_review: false`, or a series of a paper that is not "
               "one of the review's: no `reviewcases` in its bib entry, no case with `in_review: true`) without an `include` entry in literature/candidates.yaml",
               "add the report to literature/candidates.yaml with `decision: include`, its reason, URLs and `searched` date "
               "(README: 'Run the literature search again')", "series/E705-not-screened.yaml")

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
            for j, u in enumerate(c.get("urls") or []):
                if not record_url(u):
                    issues.append(E704.at(rec.rel, rec.line(("candidates", i, "urls", j)), f"candidates[{i}].urls[{j}]: "
                                          f"{str(u)[:80]!r} is not a valid http(s):// address"))
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
    """E705: every report the knowledge base counts beyond the review was found and included by the search."""
    review_papers = ({r.data.get("paper") for r in ds.of("case") if r.data.get("in_review") is True}
                     | {k for k, ref in ds.references.items() if str(ref.get("reviewcases") or "").isdigit()})
    issues = []
    for r in ds.of("case"):  # (an unknown paper is E202's)
        if r.data.get("in_review") is False and r.data.get("paper") in ds.references and r.data.get("paper") not in review_papers | included:
            issues.append(E705.at(r.rel, r.line(("paper",)), f"paper: {r.data.get('paper')!r} is a report outside the review "
                                  "with no `include` entry in literature/candidates.yaml"))
    for r in ds.of("series"):
        paper = r.data.get("paper")
        if paper in ds.references and paper not in review_papers and paper not in included:
            issues.append(E705.at(r.rel, r.line(("paper",)), f"paper: {paper!r} has a series record but no `include` entry "
                                  "in literature/candidates.yaml"))
    return issues


ACCESS_LEVELS = {"full-text": "full text", "full-text-excerpt": "part of the full text", "abstract": "abstract only",
                 "secondary": "known only through another work"}
READING_LEVELS = {"abstract": "abstract", "full-text-opening": "opening of the full text", "page-excerpt": "one page of the report",
                  "table": "a table of the full text", "full-text": "full text"}


def check_access(ds: Dataset) -> list[Issue]:
    """Every ledger entry names a known work once; every included report and every case paper of the review has an entry."""
    rec = ds.one(ACCESS.name)
    if rec is None or not isinstance(rec.data.get("entries"), list) or ds.bib_refused:
        return []
    issues: list[Issue] = []
    seen: set[str] = set()
    for i, e in enumerate(rec.data["entries"]):
        key = e.get("key") if isinstance(e, dict) else None
        if not isinstance(key, str):
            continue
        if key not in ds.references:
            issues.append(E703.at(rec.rel, rec.line(("entries", i, "key")), f"entries[{i}]: {key!r} is not in {ds.bib_path}"))
        elif key in seen:
            issues.append(E703.at(rec.rel, rec.line(("entries", i, "key")), f"entries[{i}]: {key!r} has a ledger entry already"))
        seen.add(key)
    screening = ds.one(KIND.name)
    cands = screening.data.get("candidates", []) if screening is not None else []
    wanted = {c.get("key") for c in cands if isinstance(c, dict) and c.get("decision") == "include"}
    wanted |= {k for k, ref in ds.references.items() if ref.get("casepaper") == "yes"}  # the review's case papers
    for key in sorted(k for k in wanted - seen if isinstance(k, str) and k in ds.references):
        issues.append(E703.at(rec.rel, 1, f"{key!r} is included (or reports cases) but has no access-ledger entry"))
    return issues


@dataclass(frozen=True)
class AccessView:
    entries: tuple[dict[str, Any], ...]  # as in literature/access.yaml, each with `access_label` and readings' `level_label`
    by_key: Mapping[str, dict[str, Any]]
    summary: tuple[tuple[str, str, int], ...]  # (access level, its label, number of works), in ACCESS_LEVELS order
    readings: tuple[tuple[str, str, int], ...]  # (reading level, its label, number of copies read)
    as_of: str
    rel: str

    @property
    def not_reachable(self) -> tuple[tuple[str, str], ...]:
        """(key, what) for every part a maintainer with library access could still read."""
        return tuple((e["key"], w) for e in self.entries for w in e.get("not_reachable", []))


def derive_access(ds: Dataset, views: Views) -> AccessView:
    rec = ds.one(ACCESS.name)
    raw = rec.data.get("entries", []) if rec is not None else []
    entries = []
    for e in raw:
        e = dict(e)
        e["access_label"] = ACCESS_LEVELS.get(e.get("access", ""), e.get("access", ""))
        e["read"] = [dict(r, level_label=READING_LEVELS.get(r.get("level", ""), r.get("level", ""))) for r in e.get("read", [])]
        entries.append(e)
    entries.sort(key=lambda e: e["key"])
    count = Counter(e.get("access") for e in entries)
    reads = Counter(r.get("level") for e in entries for r in e["read"])
    return AccessView(tuple(entries), MappingProxyType({e["key"]: e for e in entries}),
                      tuple((k, v, count.get(k, 0)) for k, v in ACCESS_LEVELS.items()),
                      tuple((k, v, reads.get(k, 0)) for k, v in READING_LEVELS.items()),
                      str(rec.data.get("as_of", "")) if rec is not None else "", rec.rel if rec is not None else "")


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
    for c in cands:  # the page links only validated, %-encoded https URLs (through the link helper); others are not linked
        c["links"] = [https_url(u) or "" for u in c.get("urls") or []]
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
    # a patient linked across reports (a case's same_patient_as) joins the two reports, so counts take the patient once
    cases_view: Any = views.views.get("case")
    by_id = getattr(cases_view, "by_id", {})
    for cv in getattr(cases_view, "cases", ()):
        for link in cv.same_patient_as:
            other = by_id.get(link.get("case"))
            if other is not None and other.paper != cv.paper:
                a, b = sorted((cv.paper, other.paper))
                word = "the same patient" if link.get("certainty") == "same" else "possibly the same patient"
                pairs.setdefault((a, b), f"{word} in both reports: case records {cv.id} and {other.id}")
    rels = tuple(r.rel for r in (proto, rec) if r is not None)
    return LiteratureView(dict(proto.data) if proto else {}, tuple(cands), flow,
                          tuple((a, b, why) for (a, b), why in sorted(pairs.items())),
                          str(proto.data.get("date_of_search", "")) if proto else "", rels)


_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def candidate_year(ctx: Context, c: dict[str, Any]) -> int | None:
    """A screened report's year: its bib entry's, else the first year its own citation text states; None if neither."""
    item = ctx.view(reference.KIND).by_key.get(str(c.get("key", "")))
    if item is not None:
        year = str(item["ref"].get("year") or "")
        return int(year[:4]) if year[:4].isdigit() else None
    m = _YEAR.search(str(c.get("citation") or ""))
    return int(m.group(1)) if m else None


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.protocol:
        return []
    dated = [{**c, "year": candidate_year(ctx, c)} for c in v.candidates]
    # newest first; undated last (stable: the file's order breaks ties)
    dated.sort(key=lambda c: (c["year"] is None, -(c["year"] or 0)))
    groups = {d: [c for c in dated if c["decision"] == d] for d in ("include", "background", "exclude")}
    return [PagePlan("literature/index.md", "literature/index.md.j2", {
        "p": v.protocol, "flow": v.flow, "groups": groups, "overlaps": list(v.overlaps), "exclusions": EXCLUSIONS,
        "access": ctx.view(ACCESS),
        "records": list(v.rels) + ([ctx.view(ACCESS).rel] if ctx.view(ACCESS).rel else []),
        "changed": ctx.newest(list(v.rels) + [ctx.view(ACCESS).rel])},
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
ACCESS: Kind[AccessView] = Kind(
    name="access", folder="literature", single="access", schema="access.schema.json", check=check_access,
    derive=derive_access, description="the access ledger: what was read of each included or review paper, where, when, at what level")
