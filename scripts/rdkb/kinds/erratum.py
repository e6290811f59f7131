"""The erratum kind: inconsistencies found in the review (errata/review-errata.yaml), each with quotes and locations.

Each erratum carries the project's assessment of its clinical relevance (levels: the list `clinical_relevance` of
vocabulary.json, most relevant first); the page lists the errata in that order. Rule E604 keeps every record's
locators followable by a reader: a locator names a place on the published page, never a line of the project's
unpublished plain-text copy of the review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Kind, Nav, PagePlan, Views
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.rules import declare

E604 = declare("E604", "a locator that gives a line of the project's unpublished plain-text copy of the review "
               "('line N of the source text')",
               "name the place on the published page instead: the section heading the passage falls under (e.g. "
               "'Injury demographics'), a table and its row, 'References, no. N', or for the executive summary the "
               "paragraph's opening words", "cases/E604-line-locator.yaml")

# Narrow on purpose: only the private copy's line numbers ("line 12 of the source text", "lines 122-123 of the source
# text"), not every locator that contains the word "line" (e.g. "The bottom line: ...").
LINE_LOCATOR = re.compile(r"\blines?\s+\d+(?:\s*[-–]\s*\d+)?\s+of\s+the\s+source\s+text\b", re.IGNORECASE)
_SOURCE_TEXT = re.compile(rb"source\s+text")  # searched in the lower-cased bytes (a case-insensitive pattern is 5x slower)
VOCAB = "clinical_relevance"  # the vocabulary.json list of relevance levels


@dataclass(frozen=True)
class ErrataView:
    errata: tuple[dict[str, Any], ...]  # most clinically relevant first (vocabulary order), file order within a level
    groups: tuple[dict[str, Any], ...]  # one per relevance level with errata: level, meaning, errata (the same dicts)
    levels: tuple[dict[str, Any], ...]  # every level of the vocabulary: level, meaning, n
    source_key: str
    source_label: str
    note: str
    rel: str
    cited: tuple[str, ...]


def _locators(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every `locator` string of a record, with its path."""
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "locator" and isinstance(v, str):
                yield (*path, k), v
            elif isinstance(v, (dict, list)):
                yield from _locators(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            if isinstance(v, (dict, list)):
                yield from _locators(v, (*path, i))


def _has_line_locator(data: Any) -> bool:
    """Does any `locator` of the record give a line of the private copy? (No paths built: the fast path.)"""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(v, str):
                    if k == "locator" and LINE_LOCATOR.search(v):
                        return True
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(v for v in x if isinstance(v, (dict, list)))
    return False


def line_locator_issues(rec: Record) -> list[Issue]:
    return [E604.at(rec.rel, rec.line(path), f"{fmt_path(path)}: {value!r} points at a line of a text readers cannot see")
            for path, value in _locators(rec.data) if LINE_LOCATOR.search(value)]


def check(ds: Dataset) -> list[Issue]:
    """E604 over every record (cases, tables, causes, claims, errata, ...). Whether a file has such a locator is
    cached per file content (the cache is keyed on the code too), so a warm `make check` does not walk every record."""
    issues: list[Issue] = []
    for rec in ds.all_records():
        key = f"line-locator:{rec.digest}" if rec.digest and ds.cache else ""
        hit = ds.cache.get(key) if key else None
        if hit is None and rec.raw and b"\\" not in rec.raw and not _SOURCE_TEXT.search(rec.raw.lower()):
            hit = False  # the file's bytes cannot spell such a locator (no escapes, no "source text"): no walk
        if hit is None:
            hit = _has_line_locator(rec.data)
            if key:
                ds.cache[key] = hit
                ds.cache["dirty"] = True
        if hit:
            issues += line_locator_issues(rec)
    return issues


def ordered(errata: list[dict[str, Any]], levels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Most clinically relevant first (the vocabulary's order), the file's order within a level."""
    rank = {lv: n for n, lv in enumerate(levels)}
    return sorted(errata, key=lambda e: rank.get(e.get("clinical_relevance", {}).get("level"), len(rank)))


def derive(ds: Dataset, views: Views) -> ErrataView:
    rec = ds.one(KIND.name)
    if rec is None:
        return ErrataView((), (), (), "", "", "", "", ())
    refs = views.view(reference.KIND)
    levels = views.vocab[VOCAB]
    source_key = str((rec.data.get("source") or {}).get("ref", ""))
    items = []
    for e in ordered(list(rec.data.get("errata", [])), levels):
        quotes = [{"text": q["text"], "locator": q["locator"],
                   "work": q["ref"] if q.get("ref") and q["ref"] != source_key else "",
                   "work_label": refs.short(q["ref"]) if q.get("ref") and q["ref"] != source_key else ""}
                  for q in e.get("quotes", [])]
        relevance = e["clinical_relevance"]
        items.append({"id": e["id"], "title": e["title"], "kind": e["kind"], "kind_label": e["kind"].replace("-", " "),
                      "level": relevance["level"], "level_meaning": levels.get(relevance["level"], ""),
                      "reason": relevance["reason"], "confidence": e.get("confidence") or "not stated",
                      "summary": e["summary"], "quotes": quotes, "correct": e.get("correct", ""),
                      "affects": list(e.get("affects") or []), "note": e.get("note", "")})
    groups = [{"level": lv, "meaning": meaning, "errata": [e for e in items if e["level"] == lv]} for lv, meaning in levels.items()]
    return ErrataView(tuple(items), tuple(g for g in groups if g["errata"]),
                      tuple({"level": g["level"], "meaning": g["meaning"], "n": len(g["errata"])} for g in groups),
                      source_key, refs.short(source_key) if source_key else "", str(rec.data.get("note", "")),
                      rec.rel, tuple(sorted(reference.cited_key_set(rec.data))))


def cites(v: ErrataView) -> list[Citation]:
    return [(k, "errata.md", "Errata") for k in v.cited]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.rel:
        return []
    return [PagePlan("errata.md", "errata.md.j2", {"errata": list(v.errata), "groups": list(v.groups), "levels": list(v.levels),
                                                   "source_key": v.source_key, "source_label": v.source_label,
                                                   "note": v.note, "rel_": v.rel, "changed": ctx.changed.get(v.rel, "")},
                     Nav("The review, checked", "Errata", "inconsistencies found in the review"), since="0.2")]


KIND: Kind[ErrataView] = Kind(
    name="erratum", folder="errata", single="review-errata", schema="errata.schema.json", check=check, derive=derive,
    cites=cites, pages=pages, description="inconsistencies found in the review",
)
