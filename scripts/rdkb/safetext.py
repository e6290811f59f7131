"""Text that stays text: for page titles (inert_title) and terminal output (terminal_safe, in rdkb.model)."""

from __future__ import annotations

import html
import re

_TAGS = re.compile(r"<[^>]*>")


def inert_title(text: str) -> str:
    """Plain text that stays text wherever MkDocs/Material put a page title (<title>, nav, search), whatever `striptags`
    or a missing escape does to it: no tags, no angle brackets, no ampersands (no entity can be decoded into markup)."""
    plain = html.unescape(_TAGS.sub("", text))
    plain = plain.replace("<", "‹").replace(">", "›").replace("&", " and ").replace('"', "”").replace("`", "'")
    plain = "".join(ch for ch in plain if ch.isprintable())
    return " ".join(plain.split())[:200]


