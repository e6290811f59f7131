"""What a kind declares: its inputs, its rules, its derive function, the pages and exports it contributes.

A *kind* is a unit of the model (case, reference, cause, ...). Record kinds have an input folder and a
schema; site-wide views (summary, charts, phenotypes, home, downloads) are registered the same way,
without a folder. The pipeline loops over `rdkb.kinds.KINDS`:

    load      kind.folder / kind.single / kind.load   -> Dataset.records[kind.name]
    validate  kind.schema, kind.check                  -> Issues
    derive    kind.derive(ds, views) -> a frozen view; kind.cites(view) -> back-links;
              kind.pages(ctx) -> PagePlans; kind.exports -> Exports (payloads computed here)
    render    writes exactly the PagePlans and OutFiles of `Derived`, nothing else
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from rdkb.model import Dataset, Issue

if TYPE_CHECKING:
    from rdkb.paths import Layout

V = TypeVar("V")

Citation = tuple[str, str, str]  # (bib key, docs page citing it, page title)


@dataclass(frozen=True)
class Nav:
    """Where a page appears: the nav section (rdkb.kinds.NAV_SECTIONS), its title there, and its home-page blurb."""

    section: str
    title: str
    description: str = ""
    home_title: str = ""  # the title on the home page's table, where the nav title needs its section (default: title)


@dataclass(frozen=True)
class PagePlan:
    """One page to render: output path under build/docs, template, its context (computed in derive)."""

    path: str
    template: str
    context: Mapping[str, Any]
    nav: Nav | None = None
    since: str = ""  # release that introduced the page type (the Downloads page's changelog)
    search: str = ""  # "boost" (ranked first: agents, cases) or "exclude" (kept out of the search index)
    # The input files this page is made from, besides the site-wide ones (bibliography, vocabulary, templates):
    # `make serve` re-renders it only when one of them changed. None: made from many records, always re-rendered.
    inputs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Export:
    """A download: declared once; its payload computed in derive, written by render, listed on the Downloads page."""

    name: str  # shown name, e.g. "cases.csv" or "phenopackets/<case-id>.json"
    format: str  # "JSON array", "CSV", ...
    item: str  # one item per ...
    fields: str  # what each item holds
    build: Callable[[Context], list[OutFile]]
    since: str = ""


@dataclass(frozen=True)
class OutFile:
    """A file render writes. `data` is str (text), bytes, a JSON value (kind json) or (header, rows) (kind csv)."""

    path: str
    kind: str  # text | bytes | json | csv | copy
    data: Any


@dataclass(frozen=True)
class Kind(Generic[V]):
    name: str
    folder: str | None = None  # input folder (relative to the root); None for site-wide views
    schema: str | None = None  # JSON Schema file in scripts/rdkb/schemas/
    single: str | None = None  # stem of the only file of a single-record kind (e.g. "survey")
    load: Callable[[Layout, Dataset, dict[str, Any] | None], None] | None = None  # custom loader (bib, markdown)
    check: Callable[[Dataset], list[Issue]] | None = None  # cross-record rules (declared in the kind's module)
    derive: Callable[[Dataset, Views], V] | None = None  # pure: records -> frozen view
    cites: Callable[[V], Iterable[Citation]] | None = None  # back-links: which page of this kind cites which work
    pages: Callable[[Context], list[PagePlan]] | None = None
    exports: tuple[Export, ...] = ()
    files: Callable[[Context], list[OutFile]] | None = None  # other files its pages need (chart SVGs, ...): not downloads
    reserved: tuple[str, ...] = ()  # record ids refused (E015) because a generated page has that name
    # its check is slow and independent of the others' (quote matching): with many records it runs in a forked worker,
    # beside the schema and the other checks; it returns Issues and adds only cache entries
    check_apart: bool = False
    published: bool = True  # raw records copied to site/records/ (Downloads: "the records themselves")
    description: str = ""

    @property
    def inputs(self) -> tuple[str, ...]:
        """Input paths of this kind relative to the root (serve watches them; tests copy them)."""
        return (self.folder,) if self.folder else ()


@dataclass(frozen=True)
class Views:
    """The frozen views derived so far, by kind, plus the inputs every view may read."""

    views: Mapping[str, Any]
    vocab: Mapping[str, Mapping[str, str]]
    changed: Mapping[str, str]

    def view(self, kind: Kind[V]) -> V:
        if kind.name not in self.views:
            raise KeyError(f"view of kind {kind.name!r} is not derived yet (order of rdkb.kinds.KINDS)")
        return cast(V, self.views[kind.name])

    def newest(self, rels: Iterable[str]) -> str:
        dates = [self.changed.get(r, "") for r in rels]
        return max([d for d in dates if d] or [""])


@dataclass(frozen=True)
class Context(Views):
    """What page and export functions see: every view, and the back-links computed in one place."""

    backlinks: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
