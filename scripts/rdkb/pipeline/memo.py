"""What a second `make check` over unchanged inputs needs to replay the first one's result, and nothing more.

A warm check must finish in well under a second at 10,000 records, so this module imports only the standard
library: no YAML, no schemas, no kinds. It is part of the load stage (it reads); the memo is written by render.

Two keys decide that nothing changed:
- the content key (inputs_digest): a hash of every input file's bytes, the code and today's date: always right;
- the stat key (fingerprint): a hash of every input file's name, size, mtime, ctime and inode, as git's index does.
  It costs a stat per file instead of a read. It is trusted only when every file's ctime was already older than the
  fingerprint by more than the file system's timestamp step (a file rewritten in the same tick as its last change
  could keep its stat), and always together with the code version and the date.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import time
from pathlib import Path
from typing import Any

from rdkb.clock import today

MEMO_VERSION = "rdkb-check-2"
FINE_MARGIN_NS = 100_000_000  # 0.1 s: many ticks of a nanosecond-stamping file system's coarse clock
COARSE_MARGIN_NS = 2_500_000_000  # file systems that stamp in whole seconds (or FAT's 2 s)


def code_digest(package_dir: Path) -> str:
    """A hash of every file of the package: code, schemas, vocabulary, the vendored HPO subset (data/) and anything
    added later. Only bytecode caches are left out: a change to any input of a check changes the key."""
    h = hashlib.sha256(b"rdkb-cache-4")
    for p in sorted(package_dir.rglob("*")):
        rel = p.relative_to(package_dir)
        if "__pycache__" in rel.parts or p.suffix in (".pyc", ".pyo") or not p.is_file():
            continue
        h.update(rel.as_posix().encode() + b"\0" + p.read_bytes() + b"\1")
    return h.hexdigest()[:24]


@functools.cache
def cache_version() -> str:
    """The cache and the check memo are keyed on the whole package (code, schemas, vocabulary, HPO subset): a rule
    change is never hidden by a warm cache. The records, bibliography, excerpt store and templates are the input
    folders of inputs_digest."""
    from rdkb.paths import PACKAGE_DIR

    return code_digest(PACKAGE_DIR)


def _cache_key() -> bytes:
    """A per-user secret (outside the repository) that signs the cache: a cache file committed to the repo is ignored."""
    import secrets

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rdkb"
    path = base / "cache-key"
    try:
        return path.read_bytes()
    except OSError:
        try:
            base.mkdir(parents=True, exist_ok=True)
            key = secrets.token_hex(32).encode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
            return key
        except OSError:
            return path.read_bytes() if path.exists() else b""


def sign_cache(body: str) -> str:
    key = _cache_key()
    return hmac.new(key, body.encode("utf-8"), "sha256").hexdigest() if key else ""


def _walk(root: Path, folders: list[str], mkdocs_yml: Path, visit_file: Any, h: Any) -> None:
    """Every input, in a fixed order: names (links by name only, never followed), then visit_file for regular files."""

    def walk(folder: str, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            h.update(b"?")
            return
        for e in entries:
            name = rel + "/" + e.name
            h.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
            if e.is_symlink():
                h.update(b"L")
            elif e.is_dir():
                walk(e.path, name)
            else:
                visit_file(e.path, e)

    for name in sorted(folders):
        top = root / name
        h.update(b"\1" + name.encode())
        if top.is_symlink():
            h.update(b"L")
        elif top.is_dir():
            walk(str(top), name)
        elif top.is_file():
            h.update(b"F")
            visit_file(str(top), None)
        else:
            h.update(b"-")
    h.update(b"\2")
    if mkdocs_yml.is_file():
        visit_file(str(mkdocs_yml), None)


def inputs_digest(root: Path, folders: list[str], mkdocs_yml: Path, keep: dict[str, tuple[bytes, str]] | None = None
                  ) -> str:
    """One hash of everything `make check` reads: every file of every input folder (by content), the code, schemas
    and vocabulary, and today's date (W701 depends on it). Equal digests mean equal check results. Given `keep`, the
    .yaml files read (path -> (bytes, their sha1 in hex)) are kept there, so the check reads and hashes each once: the
    bytes it checks are the bytes this digest was computed from."""
    h = hashlib.sha256(f"{MEMO_VERSION}\0{cache_version()}\0{today().isoformat()}\0".encode())
    sha1 = hashlib.sha1

    def visit(path: str, entry: os.DirEntry[str] | None) -> None:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError:
            h.update(b"?")
            return
        one = sha1(raw)
        h.update(one.digest())
        if keep is not None and path.endswith(".yaml"):
            keep[path] = raw, one.hexdigest()

    _walk(root, folders, mkdocs_yml, visit, h)
    return h.hexdigest()


def fingerprint(root: Path, folders: list[str], mkdocs_yml: Path) -> str:
    """The stat key: "" when it cannot be trusted (a file changed too recently to tell a later rewrite apart)."""
    h = hashlib.sha256(f"{MEMO_VERSION}\0{cache_version()}\0{today().isoformat()}\0".encode())
    started = time.time_ns()
    newest = 0
    fine = False

    def visit(path: str, entry: os.DirEntry[str] | None) -> None:
        nonlocal newest, fine
        try:
            st = entry.stat(follow_symlinks=False) if entry is not None else os.stat(path, follow_symlinks=False)
        except OSError:
            h.update(b"?")
            return
        h.update(f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_mode}".encode())
        newest = max(newest, st.st_ctime_ns, st.st_mtime_ns)
        fine = fine or st.st_ctime_ns % 1_000_000 != 0

    _walk(root, folders, mkdocs_yml, visit, h)
    margin = FINE_MARGIN_NS if fine else COARSE_MARGIN_NS
    return h.hexdigest() if newest < started - margin else ""


def read_check_memo(path: Path) -> dict[str, Any] | None:
    """The signed result of the last `make check` (build/cache/check.json), or None (missing, forged, other code)."""
    try:
        mac, _, body = path.read_text(encoding="utf-8").partition("\n")
        if not mac or not hmac.compare_digest(mac, sign_cache(body)):
            return None
        memo = json.loads(body)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(memo, dict) or memo.get("version") != cache_version() or memo.get("today") != today().isoformat():
        return None
    if not isinstance(memo.get("folders"), list) or not all(isinstance(f, str) for f in memo["folders"]):
        return None
    return memo


def replay(root: Path, memo_file: Path, mkdocs_yml: Path, keep: dict[str, tuple[bytes, str]] | None = None
           ) -> tuple[dict[str, Any] | None, str, str]:
    """(memo, stat key, content key) for this check: the memo when nothing it read has changed, else None.
    The content key is "" when the stat key already decided (a hit); both keys are "" when there was no memo of this
    code and day to compare with, and the caller computes them (on a miss with a memo they are reused, not redone).
    `keep`: as for inputs_digest, when the content key is computed."""
    memo = read_check_memo(memo_file)
    if memo is None:
        return None, "", ""
    folders = memo["folders"]
    stat_key = fingerprint(root, folders, mkdocs_yml)
    if stat_key and memo.get("stat_key") == stat_key:
        return memo, stat_key, ""
    key = inputs_digest(root, folders, mkdocs_yml, keep)  # touched but maybe not changed (a checkout, an editor's save)
    return (memo if memo.get("key") == key else None), stat_key, key


def new_memo(key: str, stat_key: str, folders: list[str], issues: list[Any], summary: str) -> dict[str, Any]:
    """The memo of a check that just ran (plain data; render.write_check_memo signs and writes it)."""
    return {"version": cache_version(), "today": today().isoformat(), "key": key, "stat_key": stat_key,
            "folders": list(folders), "summary": summary,
            "issues": [[i.path, i.line, i.rule, i.message, i.hint, i.severity] for i in issues]}
