"""Stage 1: files -> model objects.

Every record file is untrusted input. A failure to read or parse becomes an
Issue with a file, a line and a rule id; nothing here raises for bad data.
YAML is read by rdkb.yamlio (the restricted loader and the file-level rules),
which sits below the stages and the kinds; this stage loops over the kinds.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdkb import parallel
from rdkb.model import Dataset, DocPath, Issue, Record
from rdkb.paths import Layout
from rdkb.pipeline.memo import cache_version, sign_cache
from rdkb.yamlio import E007, E008, E014, E015, MAX_ID_LENGTH, SAFE_ID, line_map, read_record, rel_path, safe_name

# Names that lived here before rdkb.yamlio, kept importable for code not yet moved over (a kind must import them from
# rdkb.yamlio: tests/test_layers.py refuses a kind that imports a stage).
from rdkb.yamlio import E001, MAX_RECORD_BYTES, parse_yaml_bytes  # noqa: F401,E402  isort: skip


def load_record(path: Path, kind: str, root: Path, cache: dict[str, Any] | None = None,
                parsed: dict[str, Any] | None = None, raw: bytes | None = None, digest: str = "",
                rel: str = "") -> tuple[Record | None, list[Issue]]:
    """Load one record. With a cache (content hash -> parse result) an unchanged file is not re-parsed; `parsed`
    holds results parsed ahead, in parallel (content hash -> (data, issues)); `raw`, the file's bytes when they
    were read already (the file is then not read again), with their content hash `digest` if known (sha1, hex);
    `rel`, the path as messages show it, if known."""
    rel = rel or rel_path(path, root)
    issues: list[Issue] = []
    stem = path.stem
    if not SAFE_ID.fullmatch(stem) or len(stem) > MAX_ID_LENGTH:
        return None, [E008.at(rel, 1, f"file name {path.name!r} is not a safe record id",
                            "use lower-case letters, digits and single hyphens, e.g. smith2020-1.yaml (at most 64 characters)")]
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return None, [E007.at(rel, 1, f"cannot read file: {exc.strerror}", "check file permissions")]
        digest = ""
    digest = digest or hashlib.sha1(raw).hexdigest()
    hit = cache.get("parse:" + digest) if cache is not None else None
    if hit is None and parsed is not None:
        hit = parsed.get(digest)
        if hit is not None and cache is not None and not hit[2]:
            cache["parse:" + digest] = hit[:2]
            cache["dirty"] = True
    lines: dict[DocPath, int] | None = None
    if hit is not None:
        data, raw_issues = hit[0], hit[1]
        issues = [Issue(rel, *i) for i in raw_issues]
    else:
        data, lines, issues, by_line = read_record(raw, rel)
        if cache is not None and not by_line:  # the line reader reads a file faster than the cache would
            cache["parse:" + digest] = [data, [[i.line, i.rule, i.message, i.hint, i.severity] for i in issues]]
            cache["dirty"] = True
    if data is None:
        return None, issues
    return Record(kind=kind, id=stem, path=path, rel=rel, data=data, lines=lines, digest=digest,
                  line_source=functools.partial(line_map, raw), raw=raw), issues


# A later stage's per-record function, run on each record right after it is parsed in parse_ahead: (kind, data, the
# bib keys the record cites or None) -> plain data, or None when it has nothing to say without the whole record (see
# load's `also`). The cited keys are given when the line reader collected them while reading (else None).
Also = Callable[[str, Any, "set[str] | None"], Any]


def _parse_one(item: tuple[str, bytes, str, str, Also | None]) -> tuple[str, list[Any]]:
    rel, raw, digest, kind, also = item
    cites: list[str] = []
    data, _, issues, by_line = read_record(raw, rel, cites)
    extra = (also(kind, data, set(cites) if by_line else None)
             if also is not None and data is not None and not issues else None)
    return digest, [data, [[i.line, i.rule, i.message, i.hint, i.severity] for i in issues], by_line, extra]


def read_all(paths: list[Path], prefetched: dict[str, tuple[bytes, str]] | None = None
             ) -> tuple[dict[Path, bytes], dict[Path, str]]:
    """Each file's bytes, read once, and their content hash (sha1, hex), computed once: taken from `prefetched`
    (str(path) -> (bytes, hash), what the check's memo key was computed from) when there. A file that cannot be read
    is left out (load_record reports it)."""
    out: dict[Path, bytes] = {}
    digests: dict[Path, str] = {}
    for p in paths:
        got = prefetched.pop(str(p), None) if prefetched else None
        if got is None:
            try:
                raw = p.read_bytes()
            except OSError:
                continue
            got = raw, hashlib.sha1(raw).hexdigest()
        out[p], digests[p] = got
    return out, digests


def parse_ahead(raws: dict[Path, bytes], digests: dict[Path, str], rels: dict[Path, str], cache: dict[str, Any] | None,
                kind: str = "", also: Also | None = None) -> dict[str, Any]:
    """Parse the files the cache does not know on every core, when there are many (a cold check of 10,000 cases):
    content hash -> (data, issues, read by the line reader, also's result): the cache's entries, and whether one is
    worth keeping. `digests` and `rels`: each file's content hash and shown path (read_all, load)."""
    if len(raws) < parallel.PARALLEL_FROM or parallel.cores() < 2:
        return {}
    todo: list[tuple[str, bytes, str, str, Also | None]] = [
        (rels[p], raw, digests[p], kind, also) for p, raw in raws.items()
        if cache is None or ("parse:" + digests[p]) not in cache]
    if len(todo) < parallel.PARALLEL_FROM:
        return {}
    return dict(parallel.fork_map(_parse_one, todo))


def read_cache(path: Path) -> dict[str, Any]:
    """The content-addressed cache of parse and schema results (build/cache/records.json): JSON data only, signed with a
    per-user key and keyed on the code. A missing, stale, unsigned or corrupt cache is never an error: start empty."""
    import hmac
    import json

    fresh: dict[str, Any] = {"version": cache_version()}
    try:
        mac, _, body = path.read_text(encoding="utf-8").partition("\n")
        if not mac or not hmac.compare_digest(mac, sign_cache(body)):
            return fresh
        data = json.loads(body)
        return data if isinstance(data, dict) and data.get("version") == fresh["version"] else fresh
    except (OSError, ValueError, KeyError, TypeError):
        return fresh


def _record_files(folder: Path, root: Path, issues: list[Issue]) -> list[Path]:
    """The folder's .yaml records, by name; links are reported (E014), never followed (the directory entry says
    what each is: no stat per file)."""
    if not folder.is_dir():
        return []
    files = []
    for e in sorted(os.scandir(folder), key=lambda e: e.name):
        p = folder / e.name
        if e.is_symlink():
            issues.append(E014.at(rel_path(p, root), 1, f"{safe_name(e.name)} is a symbolic link and is not read"))
            continue
        if e.name.startswith(".") or e.is_dir(follow_symlinks=False):
            continue
        suffix = os.path.splitext(e.name)[1]
        if suffix == ".yaml":
            files.append(p)
        elif suffix in {".yml", ".json", ".txt"} or not suffix:
            issues.append(E008.at(rel_path(p, root), 1, f"{e.name!r} is not a .yaml record and is ignored",
                                "rename it to <id>.yaml or move it out of the record folder"))
    return files


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


@parallel.gc_paused()
def load(layout: Layout, use_cache: bool = True, prefetched: dict[str, tuple[bytes, str]] | None = None,
         also: Also | None = None) -> Dataset:
    """Stage 1: read every input of every registered kind. Problems become issues; nothing raises for bad data.
    `prefetched` (str(path) -> (bytes, sha1 hex)) holds files read and hashed already, by the check's memo key: they
    are not read again.
    `also`: a later stage's per-record function, run where a record parsed in parallel was parsed (its results in
    ds.prechecked, by content hash; validate passes its own, for make check). The garbage collector pauses meanwhile
    (see parallel.gc_paused)."""
    from rdkb.registry import KINDS, input_folders

    ds = Dataset()
    root = layout.root
    cache = read_cache(layout.cache_file) if use_cache else None
    if cache is not None:
        ds.cache = cache
    for kind in KINDS:
        if kind.load is not None:
            kind.load(layout, ds, cache)
            continue
        if kind.folder is None:
            continue
        folder = root / kind.folder
        if folder.is_symlink():
            ds.issues.append(E014.at(kind.folder, 1, f"the input folder {kind.folder}/ is a symbolic link and is not read"))
            continue
        if kind.single is not None:
            paths = [p for p in [folder / f"{kind.single}.yaml"] if p.is_symlink() or p.exists()]
        else:
            paths = _record_files(folder, root, ds.issues)  # (links left out and reported)
        recs = ds.records.setdefault(kind.name, [])
        raws, digests = read_all([p for p in paths if not (kind.single is not None and p.is_symlink())], prefetched)
        rels = {p: rel_path(p, root) for p in paths}
        parsed = parse_ahead(raws, digests, rels, cache, kind.name, also)
        ds.prechecked.update((f"{kind.name}:{digest}", hit[3]) for digest, hit in parsed.items() if hit[3] is not None)
        for path in paths:
            if kind.single is not None and path.is_symlink():
                ds.issues.append(E014.at(rels[path], 1, f"{safe_name(path.name)} is a symbolic link and is not read"))
                continue
            if path.stem in kind.reserved:
                ds.issues.append(E015.at(rels[path], 1, f"{path.name!r}: the id {path.stem!r} is reserved "
                                         f"(the build generates {kind.folder}/{path.stem}.md)"))
                continue
            rec, issues = load_record(path, kind.name, root, cache, parsed, raws.get(path), digests.get(path, ""),
                                      rels[path])
            ds.issues += issues
            if rec:
                recs.append(rec)
    ds.issues += symlinks_in(root, input_folders(), {i.path for i in ds.issues if i.rule == E014.id})
    ds.changed = _git_dates(root)
    return ds


def symlinks_in(root: Path, folders: tuple[str, ...], known: set[str]) -> list[Issue]:
    """E014 for every symbolic link anywhere under the input folders (site_templates/ and its assets included), at any
    depth: a linked folder is reported and never entered (os.walk does not follow links), a linked file never read."""
    out: list[Issue] = []
    for name in folders:
        top = root / name
        if top.is_symlink():
            if name not in known:
                out.append(E014.at(name, 1, f"the input folder {name}/ is a symbolic link and is not read"))
            continue
        if top.is_dir():
            _links_under(str(top), name, known, out)
    return out


def _links_under(folder: str, rel: str, known: set[str], out: list[Issue]) -> None:
    """symlinks_in for one folder and its subfolders (links never entered), from the directory entries alone: no
    stat per file (at 10,000 cases the walk with a Path and an lstat per file took 0.12 s)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for e in entries:
        if e.is_symlink():
            if f"{rel}/{e.name}" not in known:
                out.append(E014.at(f"{rel}/{e.name}", 1, f"{safe_name(e.name)} is a symbolic link and is not read"))
        elif e.is_dir(follow_symlinks=False):
            _links_under(e.path, f"{rel}/{e.name}", known, out)
