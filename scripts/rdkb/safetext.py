"""Text that stays text: in page titles (inert_title) and on a terminal or CI log (terminal_safe)."""

from __future__ import annotations

import html
import re
import unicodedata

_TAGS = re.compile(r"<[^>]*>")


def inert_title(text: str) -> str:
    """Plain text that stays text wherever MkDocs/Material put a page title (<title>, nav, search), whatever `striptags`
    or a missing escape does to it: no tags, no angle brackets, no ampersands (no entity can be decoded into markup)."""
    plain = html.unescape(_TAGS.sub("", text))
    plain = plain.replace("<", "‹").replace(">", "›").replace("&", " and ").replace('"', "”").replace("`", "'")
    plain = "".join(ch for ch in plain if ch.isprintable())
    return " ".join(plain.split())[:200]


MAX_ECHO = 300  # characters of any one message or hint printed


def terminal_safe(text: str, limit: int = MAX_ECHO) -> str:
    """Escape every control, format (bidi) and line-separator character as \\xNN / \\uNNNN, then cut to `limit`."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "…"
