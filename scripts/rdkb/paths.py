"""Every repository path, once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR / "schemas"
REPO_ROOT = PACKAGE_DIR.parent.parent


@dataclass(frozen=True)
class Layout:
    """Where a knowledge base lives. The real repo, or a temporary copy in tests/bench.

    Input folders belong to their kinds (rdkb.kinds: `Kind.folder`; rdkb.registry.folder(layout, kind) looks one up).
    The shorthands below name the folders tools and tests use most; paths imports nothing of the package, so every
    module can use it, and a test keeps each shorthand equal to its kind's folder."""

    root: Path

    @property
    def cases(self) -> Path:
        return self.root / "cases"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

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
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def build_docs(self) -> Path:
        return self.build_dir / "docs"

    @property
    def generated_mkdocs_yml(self) -> Path:
        """mkdocs.yml plus the generated nav (written by render; MkDocs is run with it)."""
        return self.build_dir / "mkdocs.yml"

    @property
    def cache_file(self) -> Path:
        return self.build_dir / "cache" / "records.json"

    @property
    def check_memo_file(self) -> Path:
        return self.build_dir / "cache" / "check.json"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def mkdocs_yml(self) -> Path:
        return self.root / "mkdocs.yml"


REPO = Layout(REPO_ROOT)
