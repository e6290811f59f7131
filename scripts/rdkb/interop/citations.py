"""Citations to import: a reference as BibTeX (the curated entry) and as RIS. Pure functions."""

from __future__ import annotations

import re
from typing import Any

RIS_TYPES = {"article": "JOUR", "inproceedings": "CONF", "online": "ELEC", "book": "BOOK", "misc": "GEN"}
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def bibtex_entry(ref: Any) -> str:
    """The curated BibTeX entry, as it stands in bib/references.bib."""
    return ref.raw.strip() + "\n"


def _ris_line(tag: str, value: Any) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris_entry(ref: Any) -> str:
    """The entry as RIS (decoded text, one tag per line, ending with ER)."""
    f = ref.fields
    lines = [_ris_line("TY", RIS_TYPES.get(ref.entry_type, "GEN")), _ris_line("ID", ref.key)]
    for a in re.split(r"\s+and\s+", f.get("author", "")):
        if a.strip():
            lines.append(_ris_line("AU", a.strip()))
    if f.get("title"):
        lines.append(_ris_line("TI", f["title"]))
    venue = f.get("journal") or f.get("booktitle")
    if venue:
        lines.append(_ris_line("T2", venue))
    if f.get("organization") or f.get("publisher"):
        lines.append(_ris_line("PB", f.get("organization") or f.get("publisher")))
    if f.get("year"):
        lines.append(_ris_line("PY", f["year"]))
        month = MONTHS.get(f.get("month", "").strip().lower()[:3])
        if month:
            lines.append(_ris_line("DA", f"{f['year']}/{month:02d}//"))
    for tag, name in (("VL", "volume"), ("IS", "number")):
        if f.get(name):
            lines.append(_ris_line(tag, f[name]))
    pages = f.get("pages", "")
    if pages:
        parts = [p for p in re.split(r"\s*(?:--|–|-)\s*", pages) if p]
        lines.append(_ris_line("SP", parts[0]))
        if len(parts) > 1:
            lines.append(_ris_line("EP", parts[1]))
    if f.get("doi"):
        lines.append(_ris_line("DO", f["doi"]))
    if f.get("url"):
        lines.append(_ris_line("UR", f["url"]))
    if f.get("pmid"):
        lines.append(_ris_line("N1", f"PMID: {f['pmid']}"))
    if f.get("note"):
        lines.append(_ris_line("N1", f["note"]))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"

