"""Every repository path, once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
REPO_ROOT = PACKAGE_DIR.parent.parent


@dataclass(frozen=True)
class Layout:
    """Where a knowledge base lives. The real repo, or a temporary copy in tests/bench."""

    root: Path

    @property
    def cases(self) -> Path:
        return self.root / "cases"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def causes(self) -> Path:
        return self.root / "causes"

    @property
    def survey(self) -> Path:
        return self.root / "survey"

    @property
    def errata(self) -> Path:
        return self.root / "errata"

    @property
    def claims(self) -> Path:
        return self.root / "claims"

    @property
    def bib(self) -> Path:
        return self.root / "bib"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def templates(self) -> Path:
        return self.root / "site_templates"

    @property
    def build_docs(self) -> Path:
        return self.root / "build" / "docs"

    @property
    def cache_file(self) -> Path:
        return self.root / "build" / "cache" / "records.pickle"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def mkdocs_yml(self) -> Path:
        return self.root / "mkdocs.yml"


REPO = Layout(REPO_ROOT)
