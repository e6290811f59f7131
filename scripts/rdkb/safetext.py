"""Text that stays text: in page titles (inert_title) and on a terminal or CI log (terminal_safe)."""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse

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
    """Escape every control, format (bidi) and line-separator character as \\xNN / \\uNNNN, and the first ':' of a text
    starting with '::' (a CI workflow command), then cut to `limit`."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    s = "".join(out)
    if s.lstrip().startswith("::"):  # a GitHub Actions workflow command ('::error file=...::', '::add-mask::', ...)
        s = s.replace(":", "\\x3a", 1)
    return s if len(s) <= limit else s[: limit - 1] + "…"


_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2048}")  # RFC 3986; anything else must be %-encoded
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _split(url: object) -> urllib.parse.SplitResult | None:
    """The parts of a URL of RFC 3986 characters with well-formed %-escapes and a valid port; None otherwise."""
    if not isinstance(url, str) or not _URL_CHARS.fullmatch(url) or re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return None
    return parts


def record_url(url: object) -> bool:
    """A URL a record may hold: http:// or https://, a host, RFC 3986 characters only, well-formed %-escapes (no
    javascript:, no spaces, quotes, < > or backslashes). Only https:// ones are ever linked (https_url)."""
    parts = _split(url)
    if parts is None:
        return False
    return parts.scheme in ("http", "https") and "@" not in parts.netloc and bool(re.fullmatch(r"[a-z0-9.-]+", parts.hostname or ""))


def https_url(url: object) -> str | None:
    """A record's URL as it may be linked: None unless it is an https:// address with a host name (no user, no IP-less
    oddities), of RFC 3986 characters only and well-formed %-escapes; returned %-encoding every character that means
    something to Markdown or HTML ( ( ) ' * ! $ [ ] ), so it can sit inside a Markdown link target as it is."""
    parts = _split(url)
    if parts is None or not isinstance(url, str) or parts.scheme != "https" or "@" in parts.netloc or not _HOST.fullmatch(parts.hostname or ""):
        return None
    return urllib.parse.quote(url, safe="-._~:/?#@&+,;=%")


def public_host(host: str) -> bool:
    """False for a host name that reaches this machine or a private network in any spelling: localhost (any case,
    any *.localhost), loopback, unspecified, private or link-local IP addresses, and every numeric form the resolver
    accepts (2130706433, 0x7f.1, 127.1, [::ffff:127.0.0.1])."""
    import ipaddress
    import socket

    h = host.strip().strip("[]").rstrip(".").lower()
    if not h or h == "localhost" or h.endswith(".localhost"):
        return False
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        try:
            socket.inet_aton(h)  # accepts the legacy numeric spellings of IPv4 addresses
            return False
        except OSError:
            return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_unspecified or ip.is_private or ip.is_link_local or ip.is_reserved)
