"""Citations to import: a reference as BibTeX (the curated entry, and a portable form), RIS and CSL-JSON. Pure functions.

- RIS: DOI in DO, PMID in AN (Zotero imports AN as the item's "Accession Number", and writes AN back on export), PMCID
  and the curation note in N1; never a PMID in N1 alone, which Zotero files as a note.
- CSL-JSON: the input format of citeproc, pandoc and Zotero (validated against the CSL schema in the tests).
- Portable BibTeX: the curated entry with BibTeX-only types mapped to standard ones (@online -> @misc with the
  address in howpublished as well as url), so tools that know only the standard types (bibtexparser v1, BibTeX
  styles) keep every entry. Nothing is added that the curated entry lacks: an unknown author, title or year stays
  out, and its note says so.
"""

from __future__ import annotations

import re
from typing import Any

RIS_TYPES = {"article": "JOUR", "inproceedings": "CONF", "online": "ELEC", "book": "BOOK", "misc": "GEN"}
CSL_TYPES = {"article": "article-journal", "inproceedings": "paper-conference", "online": "webpage", "book": "book", "misc": "document"}
# The entry types of classic BibTeX (and of bibtexparser v1, which skips any other type by default).
STANDARD_BIBTEX_TYPES = ("article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
                         "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished")
PORTABLE_TYPES = {"online": "misc"}
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
        lines.append(_ris_line("AN", f["pmid"]))
        lines.append(_ris_line("DB", "PubMed"))
    if f.get("pmcid"):
        lines.append(_ris_line("N1", f"PMCID: {f['pmcid']}"))
    if f.get("note"):
        lines.append(_ris_line("N1", f["note"]))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"



def _csl_name(name: str) -> dict[str, str]:
    name = name.strip()
    if name.startswith("{") and name.endswith("}"):
        return {"literal": name[1:-1]}
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
        return {"family": family, "given": given} if given else {"family": family}
    parts = name.split()
    return {"family": parts[-1], "given": " ".join(parts[:-1])} if len(parts) > 1 else {"literal": name}


def csl_item(ref: Any) -> dict[str, Any]:
    """One CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html) from a decoded BibTeX entry."""
    f = ref.fields
    item: dict[str, Any] = {"id": ref.key, "type": CSL_TYPES.get(ref.entry_type, "document")}
    authors = [a for a in re.split(r"\s+and\s+", f.get("author", "")) if a.strip()]
    if authors:
        item["author"] = [_csl_name(a) for a in authors]
    if f.get("title"):
        item["title"] = " ".join(f["title"].split())
    venue = f.get("journal") or f.get("booktitle")
    if venue:
        item["container-title"] = venue
    if f.get("organization") or f.get("publisher"):
        item["publisher"] = f.get("organization") or f.get("publisher")
    if f.get("address"):
        item["publisher-place"] = f["address"]
    if re.fullmatch(r"\d{4}", f.get("year", "")):
        parts = [int(f["year"])]
        month = MONTHS.get(f.get("month", "").strip().lower()[:3])
        if month:
            parts.append(month)
        item["issued"] = {"date-parts": [parts]}
    for csl, name in (("volume", "volume"), ("issue", "number"), ("DOI", "doi"), ("PMID", "pmid"), ("PMCID", "pmcid"),
                      ("URL", "url"), ("ISSN", "issn"), ("note", "note")):
        if f.get(name):
            item[csl] = " ".join(f[name].split())
    if f.get("pages"):
        item["page"] = re.sub(r"\s*(?:--|–)\s*", "-", f["pages"])
    if f.get("eid") and "page" not in item:
        item["number"] = f["eid"]
    return item


def _bib_value(value: str) -> str:
    return "{" + value + "}"


def portable_bibtex_entry(ref: Any) -> str:
    """The curated entry with a standard BibTeX type (@online -> @misc, the address also in howpublished). The curated
    fields are kept as they are written in bib/references.bib (raw LaTeX); only the type line changes and, for a
    mapped type, howpublished is added from url."""
    raw = ref.raw.strip()
    new_type = PORTABLE_TYPES.get(ref.entry_type)
    if not new_type:
        return raw + "\n"
    head, rest = raw.split("{", 1)
    assert head.strip().lower() == "@" + ref.entry_type, head
    out = f"@{new_type}{{" + rest
    url = ref.fields.get("url")
    if url and "howpublished" not in ref.fields:
        body, close = out.rstrip()[:-1].rstrip(), "\n}"
        out = body + (",\n" if not body.endswith(",") else "\n") + f"  howpublished = {{\\url{{{url}}}}}" + close
    return out + "\n"
