"""Runner's dystonia knowledge base: load -> validate -> derive -> render."""

__version__ = "0.11.0"  # the release (rdkb.pipeline.derive.RELEASES); CITATION.cff, .zenodo.json and pyproject.toml repeat it, a test keeps them in step
