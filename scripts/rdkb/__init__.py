"""Runner's dystonia knowledge base: load -> validate -> derive -> render."""

__version__ = "0.1.0"
