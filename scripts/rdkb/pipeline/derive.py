"""Stage 3: pure functions from validated records to one frozen `Derived`: views, back-links, pages, files.

Nothing here reads or writes files. Each kind derives its own frozen view (rdkb.kinds.*), in registry
order; back-links are computed once, from every kind's `cites`; then every page and every file the
site will hold is planned. Render writes exactly what is planned here, and nothing edits `Derived`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rdkb import __version__
from rdkb.interop import hpo
from rdkb.kinds import case, literature, question, reference, table
from rdkb.kinds.base import Context, Export, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset
from rdkb.paths import Layout
from rdkb.registry import KINDS, NAV_SECTIONS
from rdkb.views import summary

# Releases, for the Downloads page's "What changed": each page and export says which release added it.
RELEASES = {
    "0.1": "Foundation",
    "0.2": "The review, structured",
    "0.3": "Interoperability",
    "0.4": "Architecture",
    "0.5": "Evidence model",
    "0.6": "Clinician experience and speed at scale",
    "0.7": "Speed at scale: check and preview",
    "0.8": "Evidence synthesis, clinician experience, open contributions and data",
    "0.9": "Key facts first, the standard differential, standard identifiers and a lighter set-up",
    "0.10": "A faster check and a smaller site at scale",
    "0.11": "A cold check under 3 seconds at 10,000 cases",
}
# What changed that is not a new page or download (one line per change, by release).
CHANGES = {
    "0.1": ["Case records for the literature cases of the review, the review's complaint and drug-response tables, the bibliography; "
            "sortable, filterable tables with shareable filtered views; hostile-input rules for contributors."],
    "0.2": ["Proposed causes, the runner survey, a claims check of the review's figures, errata, clinical pages and a printable "
            "executive summary."],
    "0.3": ["HPO-coded phenotypes on every case and complaint row (checked offline)."],
    "0.4": ["The navigation, the home page's sections, this list of downloads and this changelog are generated from what the "
            "build writes. cases.csv now has every fact of the field table, in its order.",
            "Security: CSV cells that could run as spreadsheet formulas are neutralised with a leading '; page titles are "
            "plain text; the summary PDF no longer links to the print server and is byte-identical across rebuilds."],
    "0.5": ["Every quote is checked against the cited work's published text (the review by a fingerprint of its word "
            "runs); sources can say through which work a "
            "fact was read ('as reported by'); each reference states its access level; claims can depend on coding. "
            "Living review: a documented literature search (protocol, every screened report, the flow), series records "
            "for each publication's cohort, case records for individually described patients since the review, and "
            "all-literature figures that never double-count reports suspected to share patients."],
    "0.6": ["Print for your doctor: a one-page patient handout with space for the runner's own history, and a two-page "
            "clinician summary (figures with denominators, red flags, differential and work-up, treatment responses kept in "
            "their units, full citations), each printed to PDF; the PDFs link to the published site when its address is set "
            "and otherwise say that it is not configured; the printed executive "
            "summary no longer lists record files.",
            "A differential work-up page derived from the cause records: the review's leading candidate as the diagnosis being "
            "confirmed, one row per alternative cause with the signs that separate it, the tests that check it and its rating "
            "('not reported' where the records give none); printable. Cause records may carry sourced separating_signs.",
            "The case table has a figures panel that follows its filters: each fact's share with its denominator and "
            "not-reported count, age and duration distributions, and drugs with their responses, recomputed for the rows shown. "
            "cases.json: each case gains treatments_status (reported / absent / not_reported).",
            "Errata: a summary table, most clinically relevant first; each erratum has a title and the project's assessment of its "
            "clinical relevance; quotes are located by the sections of the published pages, not by line numbers.",
            "Speed at scale: the search index holds each case page's title and key facts only (tables, case lists and footers are "
            "left out), so it stays small at any size; checking and previewing records stays fast at thousands of cases."],
    "0.7": ["Checking unchanged records takes well under a second at 10,000 cases, and the live preview shows an edited "
            "page as soon as it is written; a full check of every record is about a third faster."],
    "0.8": ["Evidence synthesis: clinical questions are records (questions/), and one synthesis answers each with every "
            "evidence level side by side in its own unit and group (case records with the number not reported, each "
            "series as its report states it and labelled runners, non-runners or mixed, the review and its survey); every "
            "page takes these figures from it (synthesis.json; a check over the built site refuses a page's own count). "
            "Treatments are regimens: an outcome of treatments given together shows all of them, a planned regimen is "
            "never counted as given, and procedures (deep brain stimulation, surgery, physical therapy) are treatments. "
            "The runner range counts series patients described with runner's dystonia and states its rule and scope. "
            "Each cause's verdict says whether it is the review's or the project's judgement.",
            "Case records hold what sources say in their own words (onset in the source's words, tremor type, running after "
            "onset, non-motor signs, Parkinson's onset group, 'leg' without a region) and name the same patient in another "
            "report (same_patient_as, with the evidence and 'same' or 'possibly the same'); an access ledger says "
            "what was read of each paper, where, when and at what level (Papers and Literature pages); table cells are "
            "quoted with their row and column; a second, independent search pass with its screeners and their agreement.",
            "Open data (release 0.8.0): code under MIT (LICENSE), records and downloads under CC BY 4.0 (LICENSE-DATA; quoted "
            "third-party text keeps its terms), CITATION.cff, .zenodo.json, CHANGELOG.md and make release (a reproducible archive "
            "with checksums); a Frictionless data package and a JSON Schema per JSON download; one missing-value convention "
            "(not_reported / not_applicable) and one boolean convention (true / false) across the CSVs; CSL-JSON, RIS with "
            "DO and AN (PMID), and a .bib with standard entry types; phenopackets valid under phenopacket-tools' rules (schema "
            "2.0.2, resources with iriPrefix, one feature per HPO term, regimenStatus, procedures, no disease code for runner's "
            "dystonia itself), a phenopacket-store cohort and HPO annotation rows; a build with Zensical, MkDocs' successor.",
            "Clinician experience: charts whose legend entries each have their own colour and pattern ('not reported' grey), "
            "readable on a phone and in the dark scheme; on a phone, wide tables become one card per row; a work-up by sign; "
            "compact citations and a sourced standard differential on the work-up; series pages list their case records; "
            "reports sorted newest first with their year; whole-word row search; search weighted by page purpose; the "
            "executive summary prints on one page; find similar published cases; no build or developer notes on the pages.",
            "Security, second round: hand-written pages are checked as Python-Markdown parses them (allowlisted tags, "
            "attributes and link schemes, time and size limits) and have one plain-text front-matter block; symbolic links "
            "are refused anywhere under every input folder, templates included; quote checks never fetch or write (excerpt ids "
            "match their bib entry, one text per work); the review's fingerprint is pinned and a quote of it must be one span "
            "of one sentence, numbers and symbols included; insertions may not add a negation or a number; literature "
            "URLs are validated and %-encoded; MkDocs' output is terminal- and CI-safe.",
            "New checks: HPO codes that disagree with the record they code, and a report outside the review "
            "without an include entry in the literature screening; the bibliography check no longer warns about sources kept "
            "(screened background reports, the review's reference list); a screened report may carry its own search date "
            "(reports.json: searched); the check's cache keys cover the whole package, the vendored HPO subset included; check results as JSON or SARIF."],
    "0.9": ["The home page opens with its key facts, all on a phone's first screen before the disclaimer: a one-sentence "
            "definition, the names the condition goes by in the literature, its HPO codes and why no disease code fits, "
            "the key figures in their most compact form, and links to the printed pages and the work-up.",
            "The executive summary prints on one page and, like the handout and the clinician summary, names the published "
            "site. The clinician summary stays within two pages as reports are added: per treatment it prints at most three "
            "series-level outcomes and says how many more the treatment's page lists.",
            "Search finds the Parkinsonism page for \"PD\" and the deep brain stimulation page for \"DBS\"; agent pages "
            "list only the spellings their sources use, and the vocabulary's other spellings are search synonyms.",
            "Open data, continued: each drug in the phenopackets carries its DrugCentral id, from a vendored mapping that "
            "records where each id was read; a drug without a checked id (botulinum toxin, whose type or product the sources "
            "do not name) is named in words instead of a private code. The .bib download reads in biber without a warning: "
            "the PMID is an eprint, the project's curation fields stay in the curated file, and a title or year the sources "
            "do not give is marked unknown, never invented. CITATION.cff is also checked with cffconvert.",
            "The standard differential on the work-up, from published reports quoted word for word: a levodopa trial as the "
            "way Parkinson's disease was diagnosed in adults with dystonia of one leg, a functional (psychogenic) movement "
            "disorder (found in some adults with leg dystonia, and a frequent misdiagnosis of task-specific leg dystonia), "
            "video of the leg during the task in the work-up, dopamine transporter SPECT when Parkinson's disease is in "
            "question (from a report on adults with dystonic arm tremor), dopa-responsive dystonia and Wilson's disease "
            "in children and young adults (from the Dystonia Coalition's pages for clinicians); "
            "exercise-associated cramp and advice to bring a video stay off the list until a published source supports "
            "them. The access ledger names background sources the site quotes outside the records.",
            "Set-up: building the site installs only what the build needs, from its own hashed lock (on this project's "
            "machine a fresh copy builds in under a minute, with under 200 MB of packages); the tests, lint and tools come "
            "from a second hashed lock installed on top; the printed pages are printed by Chromium without a browser "
            "automation package, to the same bytes as before.",
            "Speed at scale: a full check of 10,000 records takes about half the time and half the memory it did. Records "
            "of the usual shape are read line by line, every value typed exactly as before (anything unusual is read as "
            "before), and the schema check of a fact runs only the branch its status names."],
    "0.10": ["A cold check of 10,000 records takes about half the time it did in 0.9: the schema gate is jsonschema-rs (the same "
             "JSON Schemas, in Rust; jsonschema still words every message), each file is read once, records are gated "
             "where they are parsed, and the quote checks run beside the others, with their validator imported on the "
             "spare core while the records are read.",
             "The site is smaller at 10,000 cases (483 MB to under 400 MB): pages lose the indentation the theme leaves "
             "(a browser shows them the same), JSON downloads are compact with one record per line, a page made from "
             "many records of one folder counts them in its footer instead of naming each, and the similar-cases page "
             "carries only the works each case cites."],
    "0.11": ["A cold check of 10,000 records takes about a quarter less time than in 0.10, and under 3 seconds: what load "
             "and validate build is set aside from the garbage collector when they end, so nothing walks it again; the "
             "line reader collects the works a record cites while it reads the record; an ASCII record's characters are "
             "checked by a byte deletion instead of a regular expression; every file is hashed once; kinds without a "
             "schema no longer import jsonschema; and the quote search copies each sentence's hash state and stops at "
             "the first sentence holding a quote. What the check reports is unchanged."],
}


@dataclass(frozen=True)
class Derived:
    context: Context  # every kind's view and the back-links
    pages: tuple[PagePlan, ...]  # every page, in a stable order
    files: tuple[OutFile, ...]  # every other file: downloads, chart SVGs, published records, schemas, assets
    nav: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (section, ((title, page), ...)) in NAV_SECTIONS order
    common: Mapping[str, Any]  # values every template may use (vocab, figures, references, ...)

    @property
    def n_cases(self) -> int:
        return len(self.context.view(case.KIND).cases)


def _backlinks(views: Views) -> dict[str, tuple[tuple[str, str], ...]]:
    """bib key -> (page, title) of every page citing it, from every kind's `cites` (the one place back-links are made)."""
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for kind in KINDS:
        if kind.cites is not None:
            for key, page, title in kind.cites(views.view(kind)):
                if key:
                    out[key].add((page, title))
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}


def _nav(pages: list[PagePlan]) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    sections: dict[str, list[tuple[str, str]]] = {s: [] for s in NAV_SECTIONS}
    for p in pages:
        if p.nav is not None:
            if p.nav.section not in sections:
                raise ValueError(f"page {p.path}: unknown nav section {p.nav.section!r} (rdkb.kinds.NAV_SECTIONS)")
            sections[p.nav.section].append((p.nav.title, p.path))
    return tuple((s, tuple(items)) for s, items in sections.items() if items)


def _published(ds: Dataset, layout: Layout) -> list[OutFile]:
    """The raw records, the bibliography, the schemas and the site's assets, copied as they are."""
    out = []
    for kind in KINDS:
        if kind.published:
            out += [OutFile(f"records/{r.rel}", "copy", r.path) for r in ds.of(kind.name)]
    out.append(OutFile("records/bib/references.bib", "copy", layout.root / reference.BIB_FILE))
    for name in schema_names():
        out.append(OutFile(f"schemas/{name}", "schema", name))
    assets = layout.templates / "assets"
    if assets.is_dir():
        out += [OutFile(f"assets/{p.name}", "copy", p) for p in sorted(assets.iterdir()) if p.is_file()]
    return out


def schema_names() -> list[str]:
    return sorted({k.schema for k in KINDS if k.schema} | {"vocabulary.json"})


def _changelog(pages: list[PagePlan], downloads: list[tuple[Export, str]]) -> list[str]:
    lines = []
    for rel, name in RELEASES.items():
        titles = [p.nav.title for p in pages if p.since == rel and p.nav is not None]
        exports = [e.name for e, _ in downloads if e.since == rel]
        parts = list(CHANGES.get(rel, []))
        if titles:
            parts.append("Pages: " + ", ".join(titles) + ".")
        if exports:
            parts.append("Downloads: " + ", ".join(exports) + ".")
        if parts:
            lines.append(f"{rel} ({name}): " + " ".join(parts))
    return lines


def _search_tags(vocab: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    """Search synonyms per page: the vocabulary's `search_synonyms` and, for each agent's page, its `agent_synonyms`."""
    tags: dict[str, list[str]] = {k: list(v) for k, v in vocab.get("search_synonyms", {}).items()}
    for written, agent in vocab.get("agent_synonyms", {}).items():
        page = tags.setdefault(f"agents/{agent}.md", [])
        if written.lower() not in (t.lower() for t in page):
            page.append(written)
    return MappingProxyType({k: tuple(v) for k, v in tags.items()})


def derive(ds: Dataset, vocab: Mapping[str, Mapping[str, str]], layout: Layout) -> Derived:
    views: dict[str, Any] = {}
    frozen_vocab = MappingProxyType(dict(vocab))
    changed = MappingProxyType(dict(ds.changed))
    for kind in KINDS:
        if kind.derive is not None:
            views[kind.name] = kind.derive(ds, Views(MappingProxyType(dict(views)), frozen_vocab, changed))
    base = Views(MappingProxyType(views), frozen_vocab, changed)
    ctx = Context(base.views, frozen_vocab, changed, MappingProxyType(_backlinks(base)))

    pages: list[PagePlan] = []
    files: list[OutFile] = []
    downloads: list[tuple[Export, str]] = []
    for kind in KINDS:
        if kind.pages is not None:
            pages += kind.pages(ctx)
        if kind.files is not None:
            files += kind.files(ctx)
        for export in kind.exports:
            built = export.build(ctx)
            if built:
                files += built
                downloads.append((export, built[0].path))  # the Downloads page links to the first file built

    refs = ctx.view(reference.KIND)
    cases = ctx.view(case.KIND)
    tables = ctx.view(table.KIND)
    figures = ctx.view(summary.KIND).figures
    everything = ctx.newest(ds.changed)
    pages.append(PagePlan("downloads.md", "downloads.md.j2", {
        "downloads": [{"name": e.name, "path": path, "format": e.format, "item": e.item, "fields": e.fields} for e, path in downloads],
        "first_case": cases.cases[0].id if cases.cases else "", "schemas": schema_names(),
        "changelog": _changelog(pages, downloads), "changed": everything, "version": __version__},
        Nav("Downloads", "Downloads", "data files and records"), since="0.1"))
    nav = _nav(pages)
    by_path = {p.path: p.nav for p in pages if p.nav is not None}
    sections = [(by_path[path].home_title or title, path, by_path[path].description) for _, items in nav for title, path in items]
    pages.insert(0, PagePlan("index.md", "index.md.j2", {"n_references": len(refs.items), "extra_home": [], "sections": sections,
                                                         "names": summary.condition_names(refs.by_key), "codes": hpo.condition_codes(),
                                                         "changed": everything}, Nav("Home", "Home"), since="0.1"))
    nav = _nav(pages)
    files += _published(ds, layout)
    searched = ctx.view(literature.KIND).searched
    common = MappingProxyType({
        "searched": searched,
        "syn": ctx.view(question.KIND).by_id, "runners": ctx.view(question.KIND).runners,
        "search_tags": _search_tags(vocab),
        "vocab": frozen_vocab, "f": figures, "cases": cases.cases, "papers": cases.papers, "agents": tables.agents,
        "references": refs.items, "backlinks": ctx.backlinks, "refs_short": {r["key"]: r["short"] for r in refs.items}})
    return Derived(ctx, tuple(pages), tuple(files), nav, common)
