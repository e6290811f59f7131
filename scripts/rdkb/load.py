"""Stage 1: files -> model objects.

Every record file is untrusted input. A failure to read or parse becomes an
Issue with a file, a line and a rule id; nothing here raises for bad data.
YAML is parsed by a restricted loader: no anchors or aliases, no custom tags,
no duplicate keys, bounded size and depth; timestamps stay strings.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import re
import subprocess
from pathlib import Path
from typing import Any

import bibtexparser
import yaml
from yaml.constructor import SafeConstructor

from rdkb.model import SEVERITY_WARNING, Dataset, DocPath, Issue, Record, Reference
from rdkb.paths import Layout

MAX_RECORD_BYTES = 64 * 1024
MAX_DEPTH = 32
SAFE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID_LENGTH = 64

_YAML = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_YAML + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_CONSTRUCTOR = SafeConstructor()
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same grammar, ~20x faster
_SUSPICIOUS = re.compile(r"[&*!]")


class _Reject(Exception):
    def __init__(self, line: int, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line, self.rule, self.message, self.hint = line, rule, message, hint


def _decode(raw: bytes) -> tuple[str, list[tuple[int, str, str, str]]]:
    """bytes -> normalised text. Returns the text and warnings (line, rule, message, hint)."""
    warnings: list[tuple[int, str, str, str]] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        warnings.append((1, "W001", "byte-order mark removed (accepted and normalised)", "save the file as UTF-8 without BOM"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Reject(line, "E001", f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                      "save the file as UTF-8") from None
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        warnings.append((line, "W002", "CRLF/CR line endings normalised to LF (accepted)", "configure your editor to use LF line endings"))
    if "\t" in text:
        line = text[: text.index("\t")].count("\n") + 1
        raise _Reject(line, "E002", "tab character in a record file", "indent with spaces; YAML does not allow tabs for indentation")
    return text, warnings


def _scan_events(text: str) -> None:
    """Walk the event stream once: reject anchors, aliases, custom tags, deep nesting, several documents."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_LOADER):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Reject(line, "E005", "YAML anchors and aliases are not allowed",
                          "write each value out in full (anchors/aliases can expand to huge documents)")
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ALLOWED_TAGS and tag != "!":
            implicit = getattr(event, "implicit", (True, True))
            if isinstance(event, yaml.ScalarEvent) and implicit[0]:
                pass  # resolver-assigned, not written by the author
            else:
                raise _Reject(line, "E006", f"custom YAML tag {tag!r} is not allowed",
                              "remove the tag; records are plain mappings, lists, text, numbers and booleans")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Reject(line, "E009", "more than one YAML document in the file", "one record per file; remove '---'")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Reject(line, "E009", f"nesting deeper than {MAX_DEPTH} levels", "records are shallow; check the indentation")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _convert(node: yaml.Node, path: DocPath, lines: dict[DocPath, int], seen: set[int] | None = None) -> Any:
    if seen is None:
        seen = set()
    if id(node) in seen:  # the same node twice = an alias (normally caught earlier by the event scan)
        raise _Reject(node.start_mark.line + 1, "E005", "YAML anchors and aliases are not allowed",
                      "write each value out in full (anchors/aliases can expand to huge documents)")
    seen.add(id(node))
    if node.tag not in _ALLOWED_TAGS and node.tag != _YAML + "merge":
        raise _Reject(node.start_mark.line + 1, "E006", f"custom YAML tag {node.tag!r} is not allowed",
                      "remove the tag; records are plain mappings, lists, text, numbers and booleans")
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _YAML + "merge":
                raise _Reject(kline, "E009", "mapping keys must be plain text", "use simple 'name: value' pairs")
            key = str(key_node.value)
            if key in out:
                first = lines.get(path + (key,), kline)
                raise _Reject(kline, "E004", f"duplicate key {key!r} (first defined on line {first})",
                              "remove one of the two; YAML would silently keep only the last")
            lines[path + (key,)] = kline
            out[key] = _convert(value_node, path + (key,), lines, seen)
            lines[path + (key,)] = kline
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), lines, seen) for i, child in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
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
    return str(node.value)  # str, timestamp (dates stay strings)


def parse_yaml_bytes(raw: bytes, rel: str) -> tuple[Any, dict[DocPath, int], list[Issue]]:
    """Parse untrusted bytes. Returns (data or None, line map, issues). Never raises."""
    issues: list[Issue] = []
    lines: dict[DocPath, int] = {}
    if len(raw) > MAX_RECORD_BYTES:
        return None, lines, [Issue(rel, 1, "E007", f"file is {len(raw)} bytes, over the {MAX_RECORD_BYTES}-byte limit",
                                   "a record should be a few KB; split it or remove pasted material")]
    try:
        text, warnings = _decode(raw)
        issues += [Issue(rel, ln, rule, msg, hint, SEVERITY_WARNING) for ln, rule, msg, hint in warnings]
        if _SUSPICIOUS.search(text) or text.count("[") + text.count("{") > MAX_DEPTH or "---" in text:
            _scan_events(text)  # slow path only when anchors, aliases, tags or deep flow nesting are possible
        node = yaml.compose(text, Loader=_LOADER)
        if node is None:
            raise _Reject(1, "E009", "the file is empty", "start from `make new-case` or copy an existing record")
        data = _convert(node, (), lines)
        if not isinstance(data, dict):
            raise _Reject(node.start_mark.line + 1, "E009", "the top level must be a mapping of field names to values",
                          "see an existing record in cases/ for the shape")
        return data, lines, issues
    except _Reject as rej:
        return None, lines, issues + [Issue(rel, rej.line, rej.rule, rej.message, rej.hint)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, lines, issues + [Issue(rel, line, "E003", f"YAML syntax error: {exc.problem or exc}",
                                            "check indentation and quoting near this line")]
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        return None, lines, issues + [Issue(rel, 1, "E003", f"YAML could not be read: {type(exc).__name__}",
                                            "check the file is plain YAML")]


CACHE_VERSION = "rdkb-cache-1"


def load_record(path: Path, kind: str, root: Path, cache: dict[str, Any] | None = None
                ) -> tuple[Record | None, list[Issue]]:
    """Load one record. With a cache (content hash -> parse result) an unchanged file is not re-parsed."""
    rel = _rel(path, root)
    issues: list[Issue] = []
    stem = path.stem
    if not SAFE_ID.match(stem) or len(stem) > MAX_ID_LENGTH:
        return None, [Issue(rel, 1, "E008", f"file name {path.name!r} is not a safe record id",
                            "use lower-case letters, digits and single hyphens, e.g. smith2020-1.yaml (at most 64 characters)")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Issue(rel, 1, "E007", f"cannot read file: {exc.strerror}", "check file permissions")]
    digest = hashlib.sha1(raw).hexdigest()
    hit = cache.get("parse:" + digest) if cache is not None else None
    if hit is not None:
        data, lines, raw_issues = hit
        issues = [Issue(rel, *i) for i in raw_issues]
    else:
        data, lines, issues = parse_yaml_bytes(raw, rel)
        if cache is not None:
            cache["parse:" + digest] = (data, lines, [(i.line, i.rule, i.message, i.hint, i.severity) for i in issues])
            cache["dirty"] = True
    if data is None:
        return None, issues
    return Record(kind=kind, id=stem, path=path, rel=rel, data=data, lines=lines, digest=digest), issues


def read_cache(path: Path) -> dict[str, Any]:
    """The content-addressed cache of parse and schema results (build/cache). Any problem: start empty."""
    try:
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        return data if isinstance(data, dict) and data.get("version") == CACHE_VERSION else {"version": CACHE_VERSION}
    except Exception:  # a missing, stale or corrupt cache is never an error
        return {"version": CACHE_VERSION}


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _record_files(folder: Path, root: Path, issues: list[Issue]) -> list[Path]:
    if not folder.is_dir():
        return []
    files = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.is_dir():
            continue
        if p.suffix == ".yaml":
            files.append(p)
        elif p.suffix in {".yml", ".json", ".txt"} or not p.suffix:
            issues.append(Issue(_rel(p, root), 1, "E008", f"{p.name!r} is not a .yaml record and is ignored",
                                "rename it to <id>.yaml or move it out of the record folder"))
    return files


def load_bibliography(path: Path, root: Path, cache: dict[str, Any] | None = None
                      ) -> tuple[dict[str, Reference], str, list[Issue]]:
    """Parse bib/references.bib once (bibtexparser v2, LaTeX decoded). Cached by content hash."""
    rel = _rel(path, root)
    try:
        raw_bytes = path.read_bytes()
    except OSError:
        return {}, "", [Issue(rel, 1, "E301", "bibliography file missing", "create bib/references.bib")]
    key = "bib:" + hashlib.sha1(raw_bytes).hexdigest()
    if cache is not None and key in cache:
        refs, issues = cache[key]
        return dict(refs), raw_bytes.decode("utf-8"), list(issues)
    refs, text, issues = _parse_bibliography(raw_bytes, rel)
    if cache is not None and text:
        cache[key] = (refs, issues)
        cache["dirty"] = True
    return refs, text, issues


BIB_PARSES = 0  # how many times the bibliography was actually parsed in this process (tests check: once per build)


def _parse_bibliography(raw_bytes: bytes, rel: str) -> tuple[dict[str, Reference], str, list[Issue]]:
    global BIB_PARSES
    BIB_PARSES += 1
    issues: list[Issue] = []
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return {}, "", [Issue(rel, 1, "E301", "bibliography is not valid UTF-8", "save it as UTF-8")]
    library = bibtexparser.parse_string(text)
    refs: dict[str, Reference] = {}
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            issues.append(Issue(rel, line, "E302", f"duplicate BibTeX key {getattr(block, 'key', '?')!r}",
                                "each work has one entry and one key"))
        else:
            issues.append(Issue(rel, line, "E301", "BibTeX entry could not be parsed",
                                "check braces and commas of this entry"))
    for entry in library.entries:
        fields = {}
        for f in entry.fields:
            value = f.value if isinstance(f.value, str) else str(f.value)
            if "\\" in value:  # LaTeX accents/commands: decode (slow, so only where needed)
                value = _latex_to_text(value)
            fields[f.key.lower()] = " ".join(value.replace("{", "").replace("}", "").split())
        refs[entry.key] = Reference(entry.key, entry.entry_type.lower(), fields, (entry.start_line or 0) + 1, entry.raw or "")
    return refs, text, issues


def _latex_to_text(value: str) -> str:
    """Same decoding as bibtexparser's LatexDecodingMiddleware (pylatexenc), for one field value."""
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        return LatexNodes2Text(keep_braced_groups=False).latex_to_text(value)
    except Exception:  # undecodable LaTeX stays as written (it is shown escaped)
        return value


def _git_dates(root: Path) -> dict[str, str]:
    """rel path -> date (YYYY-MM-DD) of the last commit that touched it; one git call for the whole tree."""
    try:
        out = subprocess.run(["git", "log", "--format=@%cs", "--name-only", "--no-renames"], cwd=root,
                             capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    if out.returncode != 0:
        return {}
    dates: dict[str, str] = {}
    current = ""
    for line in out.stdout.splitlines():
        if line.startswith("@"):
            current = line[1:]
        elif line and line not in dates:
            dates[line] = current
    return dates


def load(layout: Layout, use_cache: bool = True) -> Dataset:
    """Read every input of the knowledge base. Problems become issues; nothing raises for bad data."""
    ds = Dataset()
    root = layout.root
    cache = read_cache(layout.cache_file) if use_cache else None
    if cache is not None:
        ds.cache = cache
    singles = {"survey": (layout.survey, "survey"), "errata": (layout.errata, "review-errata"), "claims": (layout.claims, "review-claims")}
    for path in _record_files(layout.cases, root, ds.issues):
        rec, issues = load_record(path, "case", root, cache)
        ds.issues += issues
        if rec:
            ds.cases.append(rec)
    for path in _record_files(layout.tables, root, ds.issues):
        rec, issues = load_record(path, "table", root, cache)
        ds.issues += issues
        if rec:
            ds.tables[rec.id] = rec
    for path in _record_files(layout.causes, root, ds.issues):
        rec, issues = load_record(path, "cause", root, cache)
        ds.issues += issues
        if rec:
            ds.causes.append(rec)
    for attr, (folder, stem) in singles.items():
        path = folder / f"{stem}.yaml"
        if path.exists():
            rec, issues = load_record(path, attr, root, cache)
            ds.issues += issues
            setattr(ds, attr, rec)
    ds.bib_path = _rel(layout.bib / "references.bib", root)
    ds.references, ds.bib_text, issues = load_bibliography(layout.bib / "references.bib", root, cache)
    ds.issues += issues
    if layout.content.is_dir():
        for p in sorted(layout.content.rglob("*.md")):
            ds.content_pages[p.relative_to(layout.content).as_posix()] = p.read_text(encoding="utf-8")
    ds.changed = _git_dates(root)
    return ds
