"""The reference kind: bib/references.bib (BibTeX, parsed by bibtexparser v2, LaTeX decoded).

Declares the bibliography rules (E202, E301-E307, W301), what cites what (used for back-links and for
E202), the references page, and the citation downloads (BibTeX, JSON, RIS, one file per work).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bibtexparser

from rdkb.interop.citations import csl_item, portable_bibtex_entry, ris_entry
from rdkb.kinds.base import Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue, Record, Reference, fmt_path
from rdkb.paths import Layout
from rdkb.rules import declare
from rdkb.yamlio import CITATIONS_KEY, CITING_KEYS, rel_path

E202 = declare("E202", "unknown bib key (records and `content/` pages)", "add the work to bib/references.bib first",
               "cases/E202-unknown-bib-key.yaml")
E301 = declare("E301", "bibliography: unparsable entry", "check braces and commas of this entry", "bib/E301-unparsable.bib")
E302 = declare("E302", "bibliography: duplicate key", "each work has one entry and one key", "bib/E302-duplicate-key.bib")
E303 = declare("E303", "bibliography: duplicate work (same DOI or same title and year)", "one entry per work: cite the existing key",
               "bib/E303-duplicate-work.bib")
E304 = declare("E304", "bibliography: missing required field", "see the required fields per entry type in CONTRIBUTING.md",
               "bib/E304-missing-field.bib")
E305 = declare("E305", "bibliography: malformed DOI", "a DOI looks like 10.1234/abc (no https://doi.org/ prefix)",
               "bib/E305-malformed-doi.bib")
E306 = declare("E306", "bibliography: malformed PMID", "a PMID is digits only", "bib/E306-malformed-pmid.bib")
E307 = declare("E307", "bibliography: journal article without DOI, PMID, URL or note",
               "add one, or a `note` saying why none is available", "bib/E307-no-identifier.bib")
E308 = declare("E308", "bibliography: a key that is not lower-case letters, digits, '_' or '-' (starting with a letter)",
               "rename the key, e.g. smith2024 (keys become file names and page anchors)", "bib/E308-unsafe-key.bib")
E309 = declare("E309", "bibliography: file over the size limit", "the bibliography is a list of citations; remove pasted material",
               "bib/E309-too-large.bib")
E310 = declare("E310", "bibliography: a field over the length limit",
               "a citation field is short (a title, a list of authors); remove pasted material", "bib/E310-field-too-long.bib")
E311 = declare("E311", "bibliography: no `access` (or not one of full-text, abstract, secondary)",
               "say how the knowledge base knows the work: access = {full-text} (read in full), {abstract} (only its "
               "published abstract), or {secondary} (known only through another work, cited with `via`)",
               "bib/E311-no-access.bib")
W301 = declare("W301", "a bib entry nobody cites and nothing declares (a screened report in literature/candidates.yaml, "
               "a background source in the access ledger literature/access.yaml, or `reviewref` for the review's own "
               "reference list)",
               "cite it, remove it, or declare why it is kept: its screening entry in literature/candidates.yaml (e.g. "
               "`decision: background`), its access-ledger entry with `role: background source` (a work the site quotes "
               "outside the records, e.g. in the standard differential), or `reviewref = {N}` (the review's reference N)",
               "bib/W301-uncited.bib", warning=True)

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^[1-9]\d{0,8}$")
CITE_RE = re.compile(r"\]\((?:\.\./)*references\.md#([a-z][a-z0-9_-]*)\)")

REQUIRED_BIB_FIELDS = {
    "article": ("author", "title", "journal", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "online": ("author", "title", "year", "url"),
    "book": ("author", "title", "publisher", "year"),
    "misc": ("title", "year"),
}
BIB_FILE = "bib/references.bib"
# A congress abstract or web page may lack a known author or year: leave the field out and say so in `note`
# (never a placeholder such as "Anonymous" or "n.d.").
ABSTRACT_TYPES = ("inproceedings", "misc", "online")
UNKNOWN_WITH_NOTE = ("author", "year", "title")
KEY_RE = re.compile(r"[a-z][a-z0-9_-]*")  # fullmatch; at most MAX_KEY_LENGTH characters
RESERVED_KEYS = frozenset({"index"})  # keys become papers/<key>.md: papers/index.md is the generated list of papers
MAX_KEY_LENGTH = 64
MAX_BIB_BYTES = 1024 * 1024
MAX_FIELD_CHARS = 2000  # as a record's notes
ACCESS = {"full-text": "read in full", "abstract": "abstract only", "secondary": "known only through another work"}


# ---------------------------------------------------------------- load

def load_references(layout: Layout, ds: Dataset, cache: dict[str, Any] | None) -> None:
    ds.bib_path = rel_path(layout.root / BIB_FILE, layout.root)
    ds.references, ds.bib_text, issues = load_bibliography(layout.root / BIB_FILE, layout.root, cache)
    ds.issues += issues


def load_bibliography(path: Path, root: Path, cache: dict[str, Any] | None = None
                      ) -> tuple[dict[str, Reference], str, list[Issue]]:
    """Parse bib/references.bib once (bibtexparser v2, LaTeX decoded). Cached by content hash."""
    rel = rel_path(path, root)
    if path.is_symlink() or path.parent.is_symlink():
        from rdkb.yamlio import E014

        return {}, "", [E014.at(rel, 1, "the bibliography is a symbolic link and is not read")]
    try:
        raw_bytes = path.read_bytes()
    except OSError:
        return {}, "", [E301.at(rel, 1, "bibliography file missing", "create bib/references.bib")]
    if len(raw_bytes) > MAX_BIB_BYTES:
        return {}, "", [E309.at(rel, 1, f"file is {len(raw_bytes)} bytes, over the {MAX_BIB_BYTES}-byte limit")]
    key = "bib:" + hashlib.sha1(raw_bytes).hexdigest()
    if cache is not None and key in cache:
        ref_items, issue_items = cache[key]
        refs = {k: Reference(k, t, dict(f), int(n), raw) for k, t, f, n, raw in ref_items}
        return refs, raw_bytes.decode("utf-8"), [Issue(*i) for i in issue_items]
    refs, text, issues = _parse_bibliography(raw_bytes, rel)
    if cache is not None and text:
        cache[key] = [[[r.key, r.entry_type, r.fields, r.line, r.raw] for r in refs.values()],
                      [[i.path, i.line, i.rule, i.message, i.hint, i.severity] for i in issues]]
        cache["dirty"] = True
    return refs, text, issues


BIB_PARSES = 0  # how many times the bibliography was actually parsed in this process (tests check: once per build)


def _parse_bibliography(raw_bytes: bytes, rel: str) -> tuple[dict[str, Reference], str, list[Issue]]:
    global BIB_PARSES
    BIB_PARSES += 1
    issues: list[Issue] = []
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return {}, "", [E301.at(rel, 1, "bibliography is not valid UTF-8", "save it as UTF-8")]
    library = bibtexparser.parse_string(text)
    refs: dict[str, Reference] = {}
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            issues.append(E302.at(rel, line, f"duplicate BibTeX key {getattr(block, 'key', '?')!r}"))
        else:
            issues.append(E301.at(rel, line, "BibTeX entry could not be parsed"))
    for entry in library.entries:
        line = (entry.start_line or 0) + 1
        if not KEY_RE.fullmatch(entry.key) or len(entry.key) > MAX_KEY_LENGTH:
            issues.append(E308.at(rel, line, f"unsafe BibTeX key {entry.key[:80]!r}"))
            continue
        if entry.key in RESERVED_KEYS:
            issues.append(E308.at(rel, line, f"BibTeX key {entry.key!r} is reserved (the build generates papers/{entry.key}.md)"))
            continue
        fields = {}
        for f in entry.fields:
            value = f.value if isinstance(f.value, str) else str(f.value)
            if len(value) > MAX_FIELD_CHARS:
                issues.append(E310.at(rel, line, f"@{entry.entry_type}{{{entry.key}}}: field {f.key[:40]!r} is {len(value)} "
                                                 f"characters, over the {MAX_FIELD_CHARS}-character limit"))
                value = value[:MAX_FIELD_CHARS]
            if "\\" in value:  # LaTeX accents/commands: decode (slow, so only where needed)
                value = _latex_to_text(value)
            fields[f.key.lower()] = " ".join(value.replace("{", "").replace("}", "").split())
        refs[entry.key] = Reference(entry.key, entry.entry_type.lower(), fields, (entry.start_line or 0) + 1, entry.raw or "")
    return refs, text, issues


def _latex_to_text(value: str) -> str:
    """Same decoding as bibtexparser's LatexDecodingMiddleware (pylatexenc), for one field value."""
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        return LatexNodes2Text(keep_braced_groups=False).latex_to_text(value)
    except Exception:  # undecodable LaTeX stays as written (it is shown escaped)
        return value



# ---------------------------------------------------------------- what cites what (back-links, E202)

def _walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, path + (i,))


def cited_key_set(data: Any) -> set[str]:
    """Every bib key a record cites, without paths (fast path; paths are computed only for unknown keys)."""
    out: set[str] = set()
    stack = [data]
    push, pop = stack.append, stack.pop
    while stack:
        x = pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(v, str):
                    if k in CITING_KEYS:
                        out.add(v)
                elif isinstance(v, list):
                    if k == CITATIONS_KEY:
                        out.update(c for c in v if isinstance(c, str))
                    else:
                        push(v)
                elif isinstance(v, dict):
                    push(v)
        elif isinstance(x, list):
            stack.extend(v for v in x if isinstance(v, (dict, list)))
    return out


def cited_keys(record: Record) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every bib key a record cites: `ref` of sources, `paper`, `citations` lists."""
    for path, value in _walk(record.data):
        if not path or not isinstance(value, str):
            continue
        last = path[-1]
        parent = path[-2] if len(path) > 1 else None
        if last in CITING_KEYS or parent == CITATIONS_KEY:
            yield path, value


def content_citations(text: str) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(text.splitlines(), 1):
        for m in CITE_RE.finditer(line):
            yield n, m.group(1)



# ---------------------------------------------------------------- rules

def _unknown_keys(ds: Dataset) -> tuple[list[Issue], set[str]]:
    """E202 over every record and hand-written page; returns the issues and every cited key."""
    issues: list[Issue] = []
    keys = set(ds.references)
    cited: set[str] = set()
    if ds.bib_refused:
        return issues, cited  # no cascade of unknown keys
    memo = ds.cache or None
    for rec in ds.all_records():
        key = "cites:" + rec.digest
        hit = memo.get(key) if memo is not None and rec.digest else None
        if hit is not None:
            found = set(hit)
        else:
            found = cited_key_set(rec.data)
            if memo is not None and rec.digest:
                memo[key] = sorted(found)
                memo["dirty"] = True
        cited |= found
        if found <= keys:
            continue
        for path, key in cited_keys(rec):
            if key not in keys:
                close = difflib.get_close_matches(key, sorted(keys), n=1)
                issues.append(E202.at(rec.rel, rec.line(path), f"{fmt_path(path)}: unknown bib key {key!r}",
                                      (f"did you mean {close[0]!r}? " if close else "") + f"add the work to {ds.bib_path} first"))
    for name, text in ds.content_pages.items():
        for line, key in content_citations(text):
            cited.add(key)
            if key not in keys:
                issues.append(E202.at(f"content/{name}", line, f"link to unknown reference {key!r}",
                                      f"add the work to {ds.bib_path} or fix the key"))
    return issues, cited


def declared(ds: Dataset) -> set[str]:
    """Bib entries kept on purpose without being cited by a record: every report the literature search screened
    (background sources, excluded duplicates), every background source of the access ledger (a work the site quotes
    outside the records, e.g. in the standard differential of the work-up page) and every entry of the review's own
    reference list (`reviewref`)."""
    keys = {k for k, ref in ds.references.items() if ref.get("reviewref")}
    for rec in ds.of("screening"):
        cands = rec.data.get("candidates")
        keys |= {c["key"] for c in cands if isinstance(c, dict) and isinstance(c.get("key"), str)} if isinstance(cands, list) else set()
    for rec in ds.of("access"):
        entries = rec.data.get("entries")
        keys |= ({e["key"] for e in entries if isinstance(e, dict) and isinstance(e.get("key"), str)
                  and e.get("role") == "background source"} if isinstance(entries, list) else set())
    return keys


def check(ds: Dataset) -> list[Issue]:
    issues, cited = _unknown_keys(ds)
    return issues + bib_issues(ds, cited | declared(ds))


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def bib_issues(ds: Dataset, cited: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    rel = ds.bib_path
    by_doi: dict[str, str] = {}
    by_title: dict[tuple[str, str], str] = {}
    for ref in sorted(ds.references.values(), key=lambda r: r.line):
        for fld in REQUIRED_BIB_FIELDS.get(ref.entry_type, ("title", "year")):
            if not ref.get(fld) and not (fld in UNKNOWN_WITH_NOTE and ref.entry_type in ABSTRACT_TYPES and ref.get("note")):
                issues.append(E304.at(rel, ref.line, f"@{ref.entry_type}{{{ref.key}}}: missing field {fld!r}",
                                    f"an @{ref.entry_type} needs: {', '.join(REQUIRED_BIB_FIELDS.get(ref.entry_type, ('title', 'year')))}"))
        doi = ref.get("doi")
        if doi:
            if not DOI_RE.match(doi):
                issues.append(E305.at(rel, ref.line, f"@{ref.entry_type}{{{ref.key}}}: malformed DOI {doi!r}"))
            elif doi.lower() in by_doi:
                issues.append(E303.at(rel, ref.line, f"{ref.key}: same DOI as {by_doi[doi.lower()]!r}"))
            by_doi.setdefault(doi.lower(), ref.key)
        pmid = ref.get("pmid")
        if pmid and not PMID_RE.match(pmid):
            issues.append(E306.at(rel, ref.line, f"@{ref.entry_type}{{{ref.key}}}: malformed PMID {pmid!r}"))
        tkey = (_norm_title(ref.get("title")), ref.get("year"))
        if tkey[0]:
            if tkey in by_title:
                issues.append(E303.at(rel, ref.line, f"{ref.key}: same title and year as {by_title[tkey]!r}"))
            by_title.setdefault(tkey, ref.key)
        if ref.entry_type == "article" and not (doi or pmid or ref.get("url") or ref.get("note")):
            issues.append(E307.at(rel, ref.line, f"@article{{{ref.key}}}: no DOI, PMID or URL"))
        if ref.get("access") not in ACCESS:
            issues.append(E311.at(rel, ref.line, f"@{ref.entry_type}{{{ref.key}}}: access is {ref.get('access')!r}"))
        if ref.key not in cited:
            issues.append(W301.at(rel, ref.line, f"{ref.key}: cited by no record or page"))
    return issues




# ---------------------------------------------------------------- derive: citation texts

def surname(name: str) -> str:
    name = name.strip()
    if "," in name:
        return name.split(",")[0].strip()
    return name.split()[-1] if name.split() else name


def shorten(title: str, width: int) -> str:
    """A title cut at a word boundary (never mid-word) to at most `width` characters plus an ellipsis."""
    title = " ".join(title.split())
    if len(title) <= width:
        return title
    cut = title[:width + 1].rsplit(" ", 1)[0] if " " in title[:width + 1] else title[:width]
    return cut.rstrip(" ,;:.-(") + "…"


def short_citation(ref: Reference | None, key: str) -> str:
    """'Wu & Jankovic 2006' / 'Katz et al. 2013' from the (decoded) BibTeX entry."""
    if ref is None:
        return key
    authors = [a for a in re.split(r"\s+and\s+", ref.get("author")) if a.strip()]
    year = ref.get("year") or "year not stated"
    if not authors:
        title = ref.get("title") or ref.get("booktitle") or ref.get("organization") or ref.get("howpublished") or key
        return f"{shorten(title, 40)} ({year})"
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


@dataclass(frozen=True)
class ReferencesView:
    items: tuple[dict[str, Any], ...]  # sorted by short citation: key, short, text, ref, doi_url, pmid_url, url, note, reviewref
    by_key: dict[str, dict[str, Any]]
    bib_text: str
    bib_rel: str

    def short(self, key: str) -> str:
        item = self.by_key.get(key)
        return str(item["short"]) if item else key


def derive(ds: Dataset, views: Views) -> ReferencesView:
    refs = ds.references
    items: list[dict[str, Any]] = []
    for key in sorted(refs, key=lambda k: (short_citation(refs[k], k).lower(), k)):
        ref = refs[key]
        doi = ref.get("doi")
        items.append({"key": key, "short": short_citation(ref, key), "text": full_citation(ref), "ref": ref,
                      "doi_url": safe_url("https://doi.org/" + doi) if doi else None,
                      "pmid_url": f"https://pubmed.ncbi.nlm.nih.gov/{ref.get('pmid')}/" if ref.get("pmid").isdigit() else None,
                      "url": safe_url(ref.get("url")), "note": ref.get("note"), "reviewref": ref.get("reviewref"),
                      "access": ref.get("access"), "access_label": ACCESS.get(ref.get("access"), "not stated")})
    # two works with the same short citation ("Davis 2015") are told apart as 2015a, 2015b (in key order)
    by_short: dict[str, list[dict[str, Any]]] = {}
    for i in items:
        by_short.setdefault(str(i["short"]), []).append(i)
    for same in by_short.values():
        if len(same) > 1:
            for n, i in enumerate(sorted(same, key=lambda x: str(x["key"]))):
                i["short"] = f"{i['short']}{'abcdefghijklmnopqrstuvwxyz'[n % 26]}"
    return ReferencesView(tuple(items), {str(i["key"]): i for i in items}, ds.bib_text, ds.bib_path)


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    return [PagePlan("references.md", "references.md.j2", {"changed": ctx.changed.get(v.bib_rel, "")},
                     Nav("References", "References", "every cited work, with the pages citing it"), since="0.1")]


def _bib(ctx: Context) -> list[OutFile]:
    """Every entry in its portable form (rdkb.interop.citations); the curated file is published under records/bib/."""
    v = ctx.view(KIND)
    return [OutFile("data/references.bib", "text", "\n".join(portable_bibtex_entry(r["ref"]) for r in v.items))]


def _csl(ctx: Context) -> list[OutFile]:
    return [OutFile("data/references.csl.json", "json", [csl_item(r["ref"]) for r in ctx.view(KIND).items])]


def _json(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    return [OutFile("data/references.json", "json", [{"key": r["key"], "type": r["ref"].entry_type, "citation": r["text"],
                                                       **dict(sorted(r["ref"].fields.items()))} for r in v.items])]


def _ris(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    return [OutFile("data/references.ris", "text", "\n".join(ris_entry(r["ref"]) for r in v.items))]


def _per_key(ctx: Context, ext: str) -> list[OutFile]:
    v = ctx.view(KIND)
    fmt = portable_bibtex_entry if ext == "bib" else ris_entry
    return [OutFile(f"data/references/{r['key']}.{ext}", "text", fmt(r["ref"])) for r in v.items]


KIND: Kind[ReferencesView] = Kind(
    name="reference", folder="bib", load=load_references, check=check, derive=derive, pages=pages, published=False,
    description="one BibTeX entry per cited work",
    exports=(
        Export("references.bib", "BibTeX (read by BibTeX and by biber without a warning)", "work",
               "the curated entries with standard types (@online, and a conference or journal entry without an author, as "
               "@misc with howpublished), the PMID as eprint (eprinttype pubmed), the PMCID in the note; a title or year the "
               "sources do not give is marked unknown ([title not recorded], date XXXX: year unspecified), never invented. "
               "The project's curation fields (access, provenance, ...) are in the curated file itself, "
               "records/bib/references.bib", _bib, since="0.1"),
        Export("references.csl.json", "CSL-JSON array", "work", "id (BibTeX key), type, author, title, container-title, "
               "publisher, issued, volume, issue, page, DOI, PMID, PMCID, URL, note (for pandoc, Zotero, citeproc)", _csl, since="0.8"),
        Export("references.json", "JSON array", "work", "key, type, citation, and every BibTeX field (LaTeX decoded)", _json, since="0.1"),
        Export("references.ris", "RIS", "work", "TY, ID (BibTeX key), AU, TI, T2, PB, PY, DA, VL, IS, SP, EP, DO (DOI), UR, AN (PMID) with DB PubMed, N1 (PMCID; note), ER",
               _ris, since="0.3"),
        Export("references/<key>.bib", "BibTeX", "work (one file each)", "the entry, as in references.bib",
               lambda ctx: _per_key(ctx, "bib"), since="0.3"),
        Export("references/<key>.ris", "RIS", "work (one file each)", "as references.ris", lambda ctx: _per_key(ctx, "ris"), since="0.3"),
    ),
)
