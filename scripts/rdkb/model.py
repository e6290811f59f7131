"""Plain data objects shared by the stages. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdkb.safetext import terminal_safe

# A path inside a YAML document: keys and list indexes, e.g. ("treatments", "items", 0, "agents").
DocPath = tuple[Any, ...]

def fmt_path(path: Any) -> str:
    """('treatments', 'items', 0, 'agents') -> 'treatments.items[0].agents'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    """One problem found in the inputs, printed as `file:line: RULE message` + hint."""

    path: str
    line: int
    rule: str
    message: str
    hint: str = ""
    severity: str = SEVERITY_ERROR

    def format(self) -> str:
        """One issue for a terminal or a CI log: control characters escaped (no ANSI or workflow-command injection),
        values cut to MAX_ECHO characters."""
        head = f"{terminal_safe(self.path)}:{self.line}: {terminal_safe(self.rule)} {terminal_safe(self.message)}"
        return head + (f"\n  hint: {terminal_safe(self.hint)}" if self.hint else "")

    @property
    def is_error(self) -> bool:
        return self.severity == SEVERITY_ERROR


@dataclass(frozen=True)
class Record:
    """A YAML document that parsed safely: its data and the line of every node."""

    kind: str  # the name of its kind (rdkb.kinds): case, table, cause, survey, erratum, claim
    id: str
    path: Path
    rel: str  # path relative to the repo root, for messages and "edit this record" links
    data: dict[str, Any]
    lines: dict[DocPath, int] | None = field(repr=False, compare=False)  # None: computed from `raw` when first asked
    digest: str = field(default="", repr=False, compare=False)  # sha1 of the file bytes (cache key)
    line_source: Callable[[], dict[DocPath, int]] | None = field(default=None, repr=False, compare=False)
    raw: bytes = field(default=b"", repr=False, compare=False)  # the file's bytes (for cheap "can it contain X" tests)

    def line(self, doc_path: DocPath) -> int:
        """Line of the deepest node on doc_path that exists (1 if none). The line map of a clean record is built
        only here, the first time a message needs it: loading 10,000 records does not track 1.6 million lines."""
        if self.lines is None:
            object.__setattr__(self, "lines", self.line_source() if self.line_source else {})
        assert self.lines is not None
        p = tuple(doc_path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


@dataclass(frozen=True)
class Reference:
    """One BibTeX entry, LaTeX decoded."""

    key: str
    entry_type: str
    fields: dict[str, str]
    line: int
    raw: str = field(repr=False, compare=False, default="")

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


@dataclass
class Dataset:
    """Everything the loader found: records by kind, references, hand-written pages and the issues met on the way.

    Built by stage 1 (load) and read by the later stages; only the loader fills it."""

    records: dict[str, list[Record]] = field(default_factory=dict)  # kind name -> records, in file order
    references: dict[str, Reference] = field(default_factory=dict)
    bib_path: str = "bib/references.bib"
    bib_text: str = ""
    content_pages: dict[str, str] = field(default_factory=dict)  # rel name -> markdown
    issues: list[Issue] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # content-addressed parse/validation results
    changed: dict[str, str] = field(default_factory=dict)  # rel path -> ISO date the file last changed
    # "kind:content hash" -> a later stage's per-record result, computed by the loader's workers after parsing (given
    # the function, see load(..., also=)): the records a worker parsed are checked there, in one fork, not in a second
    prechecked: dict[str, Any] = field(default_factory=dict, repr=False)

    def of(self, kind: str) -> list[Record]:
        return self.records.get(kind, [])

    def one(self, kind: str, record_id: str | None = None) -> Record | None:
        """The record of a single-file kind (survey, claims, errata), or one record by id."""
        recs = self.of(kind)
        if record_id is None:
            return recs[0] if recs else None
        return next((r for r in recs if r.id == record_id), None)

    def all_records(self) -> list[Record]:
        return [r for recs in self.records.values() for r in recs]

    @property
    def bib_refused(self) -> bool:
        """The bibliography itself was refused (and reported): rules about cited keys then say nothing more."""
        return not self.references and any(i.path == self.bib_path and i.is_error for i in self.issues)
