"""Citations to import: a reference as BibTeX (the curated entry, and a portable form), RIS and CSL-JSON. Pure functions.

- RIS: DOI in DO, PMID in AN (Zotero imports AN as the item's "Accession Number", and writes AN back on export), PMCID
  and the curation note in N1; never a PMID in N1 alone, which Zotero files as a note.
- CSL-JSON: the input format of citeproc, pandoc and Zotero (validated against the CSL schema in the tests).
- Portable BibTeX: the curated entry with standard types (@online -> @misc with the address in howpublished as well as
  url), so tools that know only the standard types (bibtexparser v1, BibTeX styles) keep every entry, and biber's
  data-model check passes without a warning: the project's curation fields are left out, the PMID is an eprint, and
  a mandatory title or year the sources do not give is marked unknown ([title not recorded], EDTF XXXX), never
  invented; the entry's note says what is unknown.
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


# biblatex's mandatory fields (blx-dm.def, biblatex 3.x) for the types the portable form writes; one of each tuple.
BIBLATEX_MANDATORY: dict[str, list[tuple[str, ...]]] = {
    "article": [("author",), ("title",), ("journal", "journaltitle"), ("year", "date")],
    "inproceedings": [("author",), ("title",), ("booktitle",), ("year", "date")],
    "book": [("author", "editor"), ("title",), ("year", "date")],
    "misc": [("title",), ("year", "date")]}
# Fields of bib/references.bib that only the project reads (access level, where a field was read, the review's own
# reference numbers, case-paper flags). The portable form leaves them out; the curated file keeps them (records/bib/).
CURATION_FIELDS = ("access", "provenance", "reviewref", "casepaper", "reviewcases")
# Fields biblatex does not allow on @misc, folded into howpublished (in this order, with these words) when an entry
# becomes @misc.
MISC_FOLDED = (("booktitle", ""), ("journal", ""), ("journaltitle", ""), ("volume", "volume "), ("number", "number "),
               ("pages", "pages "))
# What the portable form writes for a mandatory field the sources do not give (the entry's note says it is unknown):
# a title in square brackets, as a cataloguer marks a supplied title, and the EDTF year "unspecified" (XXXX), which
# biber reads as a valid date with no year, so that nothing is invented.
TITLE_NOT_RECORDED = "[title not recorded]"
DATE_UNSPECIFIED = "XXXX"


def _raw_fields(ref: Any) -> list[tuple[str, str]] | None:
    """The curated entry's fields as written (raw LaTeX, outer braces removed), in file order; None if it does not parse."""
    import bibtexparser

    entries = bibtexparser.parse_string(ref.raw).entries
    return [(f.key.lower(), str(f.value)) for f in entries[0].fields] if len(entries) == 1 else None


def _field_line(name: str, value: str) -> str:
    if name == "month" and value.strip().lower() in MONTHS:
        return f"  {name} = {value.strip().lower()}"  # a month macro stays bare (BibTeX and biber expand it)
    return f"  {name} = {{{value}}}"


def portable_fields(ref: Any) -> tuple[str, list[tuple[str, str]]]:
    """The entry type and fields of the portable form:
    - a standard BibTeX type: @online -> @misc (its address also in howpublished); a conference or journal entry without
      an author -> @misc (biblatex needs the author of those types; the venue goes to howpublished);
    - the project's curation fields (CURATION_FIELDS) left out; PMID as eprint with eprinttype pubmed; PMCID added to
      the note (biblatex has one eprint);
    - a mandatory field the sources do not give, marked as unknown (TITLE_NOT_RECORDED, DATE_UNSPECIFIED), never
      invented: the curated note says it is unknown."""
    fields = [(k, v) for k, v in _raw_fields(ref) or [] if k not in CURATION_FIELDS]
    have = dict(fields)
    etype = PORTABLE_TYPES.get(ref.entry_type, ref.entry_type)
    if etype in ("inproceedings", "article") and not have.get("author"):
        etype = "misc"
    extra: list[tuple[str, str]] = []
    if etype == "misc":
        folded = [f"{words}{have[k]}" for k, words in MISC_FOLDED if have.get(k)]
        fields = [(k, v) for k, v in fields if k not in dict(MISC_FOLDED)]
        published = ", ".join(folded + ([f"\\url{{{have['url']}}}"] if ref.entry_type == "online" and have.get("url") else []))
        if published and "howpublished" not in have:
            extra.append(("howpublished", published))
    if have.get("pmid"):
        fields = [(k, v) for k, v in fields if k != "pmid"]
        extra += [("eprint", have["pmid"]), ("eprinttype", "pubmed")]
    if have.get("pmcid"):
        fields = [(k, v) for k, v in fields if k not in ("pmcid", "note")]
        extra.append(("note", (have["note"].rstrip() + " " if have.get("note") else "") + f"PMCID: {have['pmcid']}."))
    names = {k for k, _ in fields + extra}
    for group in BIBLATEX_MANDATORY.get(etype, []):
        if not names & set(group):
            if group == ("title",):
                extra.append(("title", TITLE_NOT_RECORDED))
            elif group == ("year", "date"):
                extra.append(("date", DATE_UNSPECIFIED))
    return etype, fields + extra


def portable_bibtex_entry(ref: Any) -> str:
    """The curated entry in a form classic BibTeX, bibtexparser v1 and biber all read whole, without a warning from
    biber's data-model check (portable_fields says what changes). Values stay as written in bib/references.bib (raw
    LaTeX)."""
    if _raw_fields(ref) is None:  # not a single parsable entry (the loader refuses such a file): as written
        return ref.raw.strip() + "\n"
    etype, fields = portable_fields(ref)
    return f"@{etype}{{{ref.key},\n" + ",\n".join(_field_line(k, v) for k, v in fields) + "\n}\n"
