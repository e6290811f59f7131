"""Reading YAML safely, and the file-level rules (E001-E015, W001-W002): below every stage and every kind.

Every record file is untrusted input. A failure to read or parse becomes an Issue with a file, a line and a rule id;
nothing here raises for bad data. YAML is parsed by a restricted loader: no anchors or aliases, no custom tags, no
duplicate keys, bounded size and depth; timestamps stay strings. The loader (rdkb.pipeline.load) and the kinds that read
their own files (excerpts, hand-written pages, the bibliography) use it; it imports only the model and the rule registry.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from rdkb.model import SEVERITY_WARNING, DocPath, Issue
from rdkb.rules import declare

MAX_RECORD_BYTES = 64 * 1024
MAX_DEPTH = 32

E001 = declare("E001", "file is not UTF-8", "save the file as UTF-8", "cases/E001-not-utf8.yaml")
E002 = declare("E002", "tab character (indent with spaces)",
               "indent with spaces; YAML does not allow tabs for indentation", "cases/E002-tab.yaml")
E003 = declare("E003", "YAML syntax error", "check indentation and quoting near this line", "cases/E003-yaml-syntax.yaml")
E004 = declare("E004", "duplicate key in one mapping (YAML would silently keep the last)",
               "remove one of the two; YAML would silently keep only the last", "cases/E004-duplicate-key.yaml")
E005 = declare("E005", "YAML anchors or aliases (refused: they can expand to huge documents)",
               "write each value out in full (anchors/aliases can expand to huge documents)", "cases/E005-anchor-alias.yaml")
E006 = declare("E006", "custom YAML tags such as `!!python/object`",
               "remove the tag; records are plain mappings, lists, text, numbers and booleans", "cases/E006-custom-tag.yaml")
E007 = declare("E007", "file over the size limit (64 KiB) or unreadable",
               "a record should be a few KB; split it or remove pasted material", "cases/E007-too-large.yaml")
E008 = declare("E008", "file name is not a safe id (or not `.yaml`)",
               "use lower-case letters, digits and single hyphens, e.g. smith2020-1.yaml (at most 64 characters)",
               "cases/E008-unsafe-id.yaml")
E009 = declare("E009", "the file is empty", "start from `make new-case` or copy an existing record", "cases/E009-empty.yaml")
E010 = declare("E010", "the top level is not a mapping of field names to values",
               "see an existing record in cases/ for the shape", "cases/E010-not-a-mapping.yaml")
E011 = declare("E011", "more than one YAML document in one file", "one record per file; remove '---'",
               "cases/E011-several-documents.yaml")
E012 = declare("E012", f"nesting deeper than {MAX_DEPTH} levels", "records are shallow; check the indentation",
               "cases/E012-too-deep.yaml")
E013 = declare("E013", "a mapping key that is not plain text (complex or merge key)", "use simple 'name: value' pairs",
               "cases/E013-complex-key.yaml")
E014 = declare("E014", "a symbolic link in an input folder (never followed)",
               "replace the link by the file itself; links could publish files from outside the repository",
               "cases/E014-symlink.yaml")
E015 = declare("E015", "a record id that is reserved for a generated page (e.g. cases/index.yaml)",
               "choose another file name: this one would replace a page the build generates", "cases/E015-reserved-id.yaml")
W001 = declare("W001", "byte-order mark found: accepted and normalised", "save the file as UTF-8 without BOM",
               "cases/W001-bom.yaml", warning=True)
W002 = declare("W002", "CRLF line endings found: accepted and normalised", "configure your editor to use LF line endings",
               "cases/W002-crlf.yaml", warning=True)

SAFE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID_LENGTH = 64

_YAML = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_YAML + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_CONSTRUCTOR = SafeConstructor()
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same grammar, ~20x faster
_SUSPICIOUS = re.compile(r"[&*!]")


def safe_name(name: str) -> str:
    """A file name as messages show it: repr() makes newlines and control characters visible."""
    return repr(name[:80] + ("..." if len(name) > 80 else ""))


class _Reject(Exception):
    def __init__(self, line: int, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.rule, self.message, self.hint = line, rule, message, hint


def _decode(raw: bytes) -> tuple[str, list[tuple[int, str, str, str]]]:
    """bytes -> normalised text. Returns the text and warnings (line, rule, message, hint)."""
    warnings: list[tuple[int, str, str, str]] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        warnings.append((1, W001.id, "byte-order mark removed (accepted and normalised)", "save the file as UTF-8 without BOM"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Reject(line, E001.id, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                      "save the file as UTF-8") from None
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        warnings.append((line, W002.id, "CRLF/CR line endings normalised to LF (accepted)", "configure your editor to use LF line endings"))
    if "\t" in text:
        line = text[: text.index("\t")].count("\n") + 1
        raise _Reject(line, E002.id, "tab character in a record file", "indent with spaces; YAML does not allow tabs for indentation")
    return text, warnings


def _scan_events(text: str) -> None:
    """Walk the event stream once: reject anchors, aliases, custom tags, deep nesting, several documents."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Reject(line, E005.id, "YAML anchors and aliases are not allowed",
                          "write each value out in full (anchors/aliases can expand to huge documents)")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ALLOWED_TAGS and tag != "!":
            implicit = getattr(event, "implicit", (True, True))
            if isinstance(event, yaml.ScalarEvent) and implicit[0]:
                pass  # resolver-assigned, not written by the author
            else:
                raise _Reject(line, E006.id, f"custom YAML tag {tag!r} is not allowed",
                              "remove the tag; records are plain mappings, lists, text, numbers and booleans")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Reject(line, E011.id, "more than one YAML document in the file", E011.hint)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Reject(line, E012.id, f"nesting deeper than {MAX_DEPTH} levels", E012.hint)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _convert(node: yaml.Node, path: DocPath, lines: dict[DocPath, int], seen: set[int] | None = None) -> Any:
    if seen is None:
        seen = set()
    if id(node) in seen:  # the same node twice = an alias (normally caught earlier by the event scan)
        raise _Reject(node.start_mark.line + 1, E005.id, "YAML anchors and aliases are not allowed",
                      "write each value out in full (anchors/aliases can expand to huge documents)")
    seen.add(id(node))
    if node.tag not in _ALLOWED_TAGS and node.tag != _YAML + "merge":
        raise _Reject(node.start_mark.line + 1, E006.id, f"custom YAML tag {node.tag!r} is not allowed",
                      "remove the tag; records are plain mappings, lists, text, numbers and booleans")
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _YAML + "merge":
                raise _Reject(kline, E013.id, "mapping keys must be plain text", E013.hint)
            key = str(key_node.value)
            if key in out:
                first = lines.get(path + (key,), kline)
                raise _Reject(kline, E004.id, f"duplicate key {key!r} (first defined on line {first})",
                              "remove one of the two; YAML would silently keep only the last")
            lines[path + (key,)] = kline
            out[key] = _convert(value_node, path + (key,), lines, seen)
            lines[path + (key,)] = kline
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), lines, seen) for i, child in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    """A scalar of an allowed tag as plain data: int, finite float, bool, None, else text (dates stay strings)."""
    tag = node.tag
    if tag == _YAML + "int":
        return _CONSTRUCTOR.construct_yaml_int(node)
    if tag == _YAML + "float":
        value = _CONSTRUCTOR.construct_yaml_float(node)
        return value if math.isfinite(value) else str(node.value)
    if tag == _YAML + "bool":
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if tag == _YAML + "null":
        return None
    return str(node.value)


class _Fallback(Exception):
    """The fast path met something only the full parser reports precisely: parse the file again the slow way."""


_PLAIN_TAGS: dict[str, str] = {}
_STR, _MAP, _SEQ = _YAML + "str", _YAML + "map", _YAML + "seq"
_MappingNode, _ScalarNode, _SequenceNode = yaml.MappingNode, yaml.ScalarNode, yaml.SequenceNode


class _MemoResolver(yaml.resolver.Resolver):
    """PyYAML's own resolver, memoised per plain scalar: the same YAML 1.1 types, a dict lookup instead of regexes.

    SafeLoader registers no path resolvers (yaml_path_resolvers is empty; asserted below), so PyYAML's resolve() gives
    a quoted or explicitly tagged scalar the str tag, a sequence the seq tag and a mapping the map tag, and its
    descend_resolver/ascend_resolver return at once: here they are not called at all (two Python calls less a node)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is _ScalarNode:
            if not implicit[0]:
                return _STR
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < 100_000:
                    _PLAIN_TAGS[value] = tag
            return tag
        return _MAP if kind is _MappingNode else _SEQ

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


assert not yaml.resolver.Resolver.yaml_path_resolvers and not _LOADER.yaml_path_resolvers


if hasattr(yaml, "CSafeLoader"):
    from yaml._yaml import CParser

    class _FastComposer(CParser, _MemoResolver):  # libyaml's parser and composer, no constructor
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _MemoResolver.__init__(self)
else:  # pragma: no cover - PyYAML without libyaml
    _FastComposer = yaml.SafeLoader  # type: ignore[misc,assignment]

_MERGE = _YAML + "merge"
_SCALARS: dict[tuple[str, str], Any] = {}  # (tag, plain text) -> value: ints, floats, bools and nulls repeat a lot


def _fast_convert(node: yaml.Node, depth: int) -> Any:
    """Nodes -> plain data with no line bookkeeping. Anything the slow path would report raises _Fallback."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if depth > MAX_DEPTH:
        raise _Fallback
    if tag == _MAP:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not _ScalarNode or key_node.tag == _MERGE:
                raise _Fallback
            key = key_node.value
            if key in out:
                raise _Fallback
            out[key] = value_node.value if value_node.tag == _STR else _fast_convert(value_node, depth + 1)
        return out
    if tag == _SEQ:
        return [child.value if child.tag == _STR else _fast_convert(child, depth + 1) for child in node.value]
    if tag not in _ALLOWED_TAGS or node.__class__ is not _ScalarNode:
        raise _Fallback
    key = (tag, node.value)
    try:
        return _SCALARS[key]
    except KeyError:
        value = _SCALARS[key] = _scalar(node)
        if len(_SCALARS) > 100_000:
            _SCALARS.clear()
        return value


_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?\Z")
# Text the line reader leaves to libyaml: a character YAML does not allow in a stream or reads as a line break (NEL,
# LS, PS), a byte-order mark, or anything outside the printable set.
_NOT_PLAIN_TEXT = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
# The same, and also '&', '*' and '!' (anchors, aliases, tags: _SUSPICIOUS), in one scan: the printable ASCII range
# without \x21 '!', \x26 '&' and \x2a '*'. read_block_mapping(checked=True) trusts a caller that scanned with it.
_SUSPICIOUS_OR_ODD = re.compile("[^\n\x20\x22-\x25\x27-\x29\x2b-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                                "\U00010000-\U0010ffff]")
# _SUSPICIOUS_OR_ODD's allowed characters below 0x80 (taken from it, not spelled out again), as bytes: an ASCII file is
# checked by deleting them (some ten times faster than the regular expression, whose character class spans Unicode)
_PLAIN_ASCII = bytes(c for c in range(0x80) if not _SUSPICIOUS_OR_ODD.match(chr(c)))


def plain_text(raw: bytes, text: str) -> bool:
    """True when `text` (`raw` decoded) holds no character _SUSPICIOUS_OR_ODD finds: what the line reader may take."""
    if raw.isascii():
        return not raw.translate(None, _PLAIN_ASCII)
    return not _SUSPICIOUS_OR_ODD.search(text)


_FLOW_ITEM = re.compile(r"""\s*(?:([A-Za-z_][A-Za-z0-9_-]*): +)?(?:"([^"\\]*)"|'((?:[^']|'')*)'"""
                        r"""|([^\s\-?:,\[\]{}#&*!|>'"%@`][^,\[\]{}#:"']*?))\s*(,|\Z)""")
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_DIGITS = frozenset("0123456789")
_RESOLVER = _MemoResolver()


def _plain(text: str) -> Any:
    """A plain scalar typed as PyYAML types it: its own resolver (memoised), then the same conversion as the slow path."""
    tag = _PLAIN_TAGS.get(text)
    if tag is None:
        tag = _RESOLVER.resolve(_ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    if tag not in _ALLOWED_TAGS:  # `=` (value) and `<<` (merge): the full parse says what it makes of them
        raise _Fallback
    key = (tag, text)
    try:
        return _SCALARS[key]
    except KeyError:
        value = _SCALARS[key] = _scalar(yaml.ScalarNode(tag, text))
        if len(_SCALARS) > 100_000:
            _SCALARS.clear()
        return value


def _flow(inner: str, mapping: bool) -> Any:
    """The inside of a one-line flow sequence or mapping of scalars: `[a, "b"]`, `{ref: x, locator: "p. 4"}`."""
    out: Any = {} if mapping else []
    if not inner.strip(" "):
        return out
    pos, end = 0, len(inner)
    while True:
        m = _FLOW_ITEM.match(inner, pos)
        if m is None:
            raise _Fallback
        key, dq, sq, plain, sep = m.groups()
        if mapping != (key is not None):
            raise _Fallback
        value = dq if dq is not None else sq.replace("''", "'") if sq is not None else _plain(plain)
        if mapping:
            if key in out:
                raise _Fallback
            out[key] = value
        else:
            out.append(value)
        pos = m.end()
        if not sep:
            return out
        if pos >= end or not inner[pos:].strip(" "):  # a trailing comma
            raise _Fallback


def _value(v: str) -> Any:
    """A scalar written on its key's (or its dash's) line, trailing spaces removed."""
    c = v[0]
    if c == '"':
        body = v[1:-1]
        if len(v) < 2 or v[-1] != '"' or '"' in body or "\\" in body:
            raise _Fallback
        return body
    if c == "'":
        body = v[1:-1]
        if len(v) < 2 or v[-1] != "'" or "'" in body.replace("''", ""):
            raise _Fallback
        return body.replace("''", "'")
    if (c in _PLAIN_START and not (c == "-" and v[1:2] in _DIGITS and len(v) > 1)) or ": " in v or " #" in v or v[-1] == ":":
        raise _Fallback
    return _plain(v)


# A line of a block mapping, as the reader needs it: (column, key, value, how). how: _SCALAR (value is the typed scalar),
# _CITE (the same, for a text value of a key that cites a work: `ref`, `paper`, `via`), _NESTED (nothing after the
# colon), _FLOW (value is (dict or list, its items, the works it cites): a new collection is made at every use, so no
# two records share one), _ENTRY (a sequence entry's `- `; key and value None), _BARE (a scalar alone on its line).
_SCALAR, _NESTED, _FLOW, _ENTRY, _BARE, _CITE = range(6)
# The bib keys a record cites, as rdkb.kinds.reference.cited_key_set finds them in the data: the text value of a
# `ref`, `paper` or `via` key in any mapping, and the text items of a `citations` list, but nothing inside such a
# list's mappings or lists. The line reader collects them as it reads (tests check both agree on every document).
CITING_KEYS = frozenset(("ref", "paper", "via"))
CITATIONS_KEY = "citations"
_Token = tuple[int, Any, Any, int]
_LINE_TOKENS: dict[str, tuple[_Token, ...]] = {}


def _line_tokens(line: str) -> tuple[_Token, ...]:
    s = line.lstrip(" ")
    if not s or s[0] == "#":
        return ()
    col = len(line) - len(s)
    s = s.rstrip(" ")
    out: list[_Token] = []
    while s[:2] == "- ":
        out.append((col, None, None, _ENTRY))
        rest = s[2:]
        s = rest.lstrip(" ")
        col += 2 + len(rest) - len(s)
    if s == "-" or s[0] == "#":
        raise _Fallback
    m = _KEY_LINE.match(s)
    if m is None:
        v, how = s, _BARE
    else:
        s = m.group(2)
        if not s:
            out.append((col, m.group(1), None, _NESTED))
            return tuple(out)
        v, how = s, _SCALAR
    key = m.group(1) if m else None
    if v[0] == "[" or v[0] == "{":
        if v[-1] != ("]" if v[0] == "[" else "}"):
            raise _Fallback
        flow = _flow(v[1:-1], v[0] == "{")
        if v[0] == "{":
            cited = tuple(x for k, x in flow.items() if k in CITING_KEYS and x.__class__ is str)
            out.append((col, key, (dict, tuple(flow.items()), cited), _FLOW))
        else:
            cited = tuple(x for x in flow if x.__class__ is str) if key == CITATIONS_KEY else ()
            out.append((col, key, (list, tuple(flow), cited), _FLOW))
    else:
        value = _value(v)
        if how == _SCALAR and key in CITING_KEYS and value.__class__ is str:
            how = _CITE
        out.append((col, key, value, how))
    return tuple(out)


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    memo = _LINE_TOKENS
    for line in text.split("\n"):
        tokens = memo.get(line)
        if tokens is None:
            tokens = _line_tokens(line)
            if len(memo) >= 50_000:  # bounded (some 15 MB): lines that records share come back after a clear
                memo.clear()
            memo[line] = tokens
        if tokens:
            if len(tokens) == 1:
                out.append(tokens[0])
            else:
                out.extend(tokens)
    return out


def _seq(toks: list[_Token], i: int, col: int, depth: int, cites: list[str] | None,
         citations: bool = False) -> tuple[list[Any], int]:
    """A block sequence; its cited works go to `cites` (None: this part cites nothing). A `citations` list cites the
    text of its entries and nothing inside its mappings or lists."""
    if depth >= MAX_DEPTH:  # (one level kept for a flow collection inside)
        raise _Fallback
    inner = None if citations else cites
    out: list[Any] = []
    n = len(toks)
    while i < n:
        c, _, _, how = toks[i]
        if c < col or (c == col and how != _ENTRY):
            break
        if c > col or i + 1 == n or toks[i + 1][0] <= col:  # deeper than the entries, or an entry with no value
            raise _Fallback
        i += 1
        tok = toks[i]
        how = tok[3]
        value: Any
        if how == _ENTRY:
            value, i = _seq(toks, i, tok[0], depth + 1, inner)
        elif how == _BARE:
            value, i = tok[2], i + 1
            if citations and cites is not None and value.__class__ is str:
                cites.append(value)
        elif how == _FLOW and tok[1] is None:
            value, i = tok[2][0](tok[2][1]), i + 1
            if inner is not None and tok[2][2]:
                inner.extend(tok[2][2])
        else:
            value, i = _map(toks, i, tok[0], depth + 1, inner)
        out.append(value)
    return out, i


def _map(toks: list[_Token], i: int, col: int, depth: int, cites: list[str] | None) -> tuple[dict[str, Any], int]:
    """A block mapping; its cited works go to `cites` (None: this part cites nothing)."""
    if depth >= MAX_DEPTH:  # (one level kept for a flow collection inside)
        raise _Fallback
    out: dict[str, Any] = {}
    n = len(toks)
    while i < n:
        c, key, value, how = toks[i]
        if c != col:
            if c < col:
                break
            raise _Fallback
        if key is None or key in out:  # a sequence entry or a bare scalar among the keys, or a duplicate key
            raise _Fallback
        i += 1
        if how == _SCALAR:
            out[key] = value
        elif how == _CITE:
            out[key] = value
            if cites is not None:
                cites.append(value)
        elif how == _FLOW:
            out[key] = value[0](value[1])
            if cites is not None and value[2]:
                cites.extend(value[2])
        elif i < n and toks[i][0] > col:
            tok = toks[i]
            if tok[3] == _ENTRY:
                out[key], i = _seq(toks, i, tok[0], depth + 1, cites, key == CITATIONS_KEY)
            elif tok[3] == _BARE:
                out[key], i = tok[2], i + 1
                if cites is not None and key in CITING_KEYS and tok[2].__class__ is str:
                    cites.append(tok[2])
            elif tok[3] == _FLOW and tok[1] is None:
                out[key], i = tok[2][0](tok[2][1]), i + 1
                if cites is not None:
                    if tok[2][0] is dict:
                        cites.extend(tok[2][2])
                    elif key == CITATIONS_KEY:
                        cites.extend(x for x in tok[2][1] if x.__class__ is str)
            else:
                out[key], i = _map(toks, i, tok[0], depth + 1, cites)
        elif i < n and toks[i][0] == col and toks[i][3] == _ENTRY:
            out[key], i = _seq(toks, i, col, depth + 1, cites, key == CITATIONS_KEY)
        else:
            out[key] = None
    return out, i


def read_block_mapping(text: str, checked: bool = False, cites: list[str] | None = None) -> dict[str, Any]:
    """The common shape of a record, read line by line without libyaml: a block mapping of block mappings and
    sequences whose scalars fit on their line (plain, or quoted without escapes) and one-line flow collections of
    scalars. Plain scalars are typed by PyYAML's own resolver, so the data equals PyYAML's for every document read
    here; anything else (multi-line or block scalars, escapes, comments after a value, unusual keys or indentation,
    any character outside the plain printable set) raises _Fallback, and libyaml reads the file. `cites`, when given,
    receives the bib keys the record cites (CITING_KEYS), as the reader meets them (also on a _Fallback: discard them then)."""
    if not checked and _NOT_PLAIN_TEXT.search(text):
        raise _Fallback
    toks = _tokens(text)
    if not toks or toks[0][0] != 0 or toks[0][1] is None:
        raise _Fallback
    data, i = _map(toks, 0, 0, 1, cites)
    if i != len(toks):
        raise _Fallback
    return data


def parse_record(raw: bytes, rel: str) -> tuple[Any, dict[DocPath, int] | None, list[Issue]]:
    """Parse untrusted bytes, fast: without a line map (None) when the file is clean. A file the fast paths cannot
    accept as is (anchors, tags, duplicate keys, syntax errors, ...) goes through parse_yaml_bytes, which reports it
    with its line; records that parse cleanly get their line map later, only if a message needs one (Record.line)."""
    data, lines, issues, _ = read_record(raw, rel)
    return data, lines, issues


def read_record(raw: bytes, rel: str, cites: list[str] | None = None
                ) -> tuple[Any, dict[DocPath, int] | None, list[Issue], bool]:
    """parse_record, and whether the line reader took the file (then reading it again costs less than caching it).
    When it did, `cites` (if given) receives the bib keys the record cites, as cited_key_set finds them in the data."""
    if len(raw) <= MAX_RECORD_BYTES:
        try:
            text, warnings = _decode(raw)
            if not warnings and "---" not in text and "? " not in text and plain_text(raw, text):
                found: list[str] | None = [] if cites is not None else None
                try:
                    data = read_block_mapping(text, checked=True, cites=found)
                except _Fallback:
                    pass
                else:
                    if cites is not None and found:
                        cites.extend(found)
                    return data, None, [], True
            if not warnings and not _SUSPICIOUS.search(text) and "---" not in text and "? " not in text:
                node = yaml.compose(text, Loader=_FastComposer)  # type: ignore[arg-type]
                if node is not None and node.tag == _MAP:
                    return _fast_convert(node, 1), None, [], False
        except (_Reject, _Fallback, yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError):
            pass
    return (*parse_yaml_bytes(raw, rel), False)


def line_map(raw: bytes) -> dict[DocPath, int]:
    """The line of every node of a record that parsed cleanly (computed on demand)."""
    return parse_yaml_bytes(raw, "")[1]


def parse_yaml_bytes(raw: bytes, rel: str) -> tuple[Any, dict[DocPath, int], list[Issue]]:
    """Parse untrusted bytes. Returns (data or None, line map, issues). Never raises."""
    issues: list[Issue] = []
    lines: dict[DocPath, int] = {}
    if len(raw) > MAX_RECORD_BYTES:
        return None, lines, [E007.at(rel, 1, f"file is {len(raw)} bytes, over the {MAX_RECORD_BYTES}-byte limit",
                                   "a record should be a few KB; split it or remove pasted material")]
    try:
        text, warnings = _decode(raw)
        issues += [Issue(rel, ln, rule, msg, hint, SEVERITY_WARNING) for ln, rule, msg, hint in warnings]
        if _SUSPICIOUS.search(text) or text.count("[") + text.count("{") > MAX_DEPTH or "---" in text:
            _scan_events(text)  # slow path only when anchors, aliases, tags or deep flow nesting are possible
        node = yaml.compose(text, Loader=_LOADER)
        if node is None:
            raise _Reject(1, E009.id, "the file is empty", E009.hint)
        data = _convert(node, (), lines)
        if not isinstance(data, dict):
            raise _Reject(node.start_mark.line + 1, E010.id, "the top level must be a mapping of field names to values", E010.hint)
        return data, lines, issues
    except _Reject as rej:
        return None, lines, issues + [Issue(rel, rej.line, rej.rule, rej.message, rej.hint)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, lines, issues + [E003.at(rel, line, f"YAML syntax error: {exc.problem or exc}",
                                            "check indentation and quoting near this line")]
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        return None, lines, issues + [E003.at(rel, 1, f"YAML could not be read: {type(exc).__name__}",
                                            "check the file is plain YAML")]


def rel_path(path: Path, root: Path) -> str:
    """path relative to the root, without following links (a message never shows a machine path)."""
    p, r = os.fspath(path), os.fspath(root)
    if os.sep == "/" and p.startswith("/") and r.startswith("/") and p.startswith(r.rstrip("/") + "/"):
        return p[len(r.rstrip("/")) + 1:]  # both absolute and normalised (Path objects): the same as relative_to, faster
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.name
