"""`mkdocs serve` that answers only requests addressed to this machine, and shows an edited page at once.

- Host guard: MkDocs' live-reload server answers any Host header, so a web page on another origin could read the
  preview through DNS rebinding. This module refuses other Host headers with 403.
- Quick pages: MkDocs' rebuild after a change walks every page of the site, even with --dirty (seconds at 10,000
  cases). Before it, the pages whose Markdown changed are rebuilt alone with the last build's files, navigation and
  theme, and browsers are told to reload; the full rebuild follows as before and settles everything else (nav of other
  pages, the search index). It uses MkDocs 1.x internals (kept stable: 1.x is no longer developed); when one is
  missing the quick step is skipped and serving works as plain `mkdocs serve`.
Run as `python -m rdkb.tools.mkdocs_serve serve ...` (the same arguments as `mkdocs`).
"""

from __future__ import annotations

import math
import os
import posixpath
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

LOCAL_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?", re.I)


def host_allowed(host: str | None) -> bool:
    return bool(host) and LOCAL_HOST.fullmatch(host or "") is not None


def guard(serve_request: Callable[..., Iterable[bytes]], quick: QuickPages | None = None) -> Callable[..., Iterable[bytes]]:
    def checked(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not host_allowed(environ.get("HTTP_HOST")):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"403: this preview answers only requests for localhost\n"]
        if quick is not None:
            fresh = quick.serve_fresh(self, environ, start_response)
            if fresh is not None:
                return fresh
        return serve_request(self, environ, start_response)

    return checked


QUICK_MAX = 50  # more changed pages than this: a regeneration, left to the full rebuild


def _stale(f: Any) -> bool:
    """A page whose Markdown is newer than its HTML (a file removed since is left to the full rebuild)."""
    try:
        return f.page is not None and bool(f.is_modified())
    except OSError:
        return False


class QuickPages:
    """The last full build's (config, files, doc_files, nav, env), and a rebuild of only the pages changed since.

    Two triggers: a file event (a thread, at once, even while MkDocs' full rebuild of an earlier change is running:
    that rebuild uses its own config, files and nav objects, never these) and, as a catch-up, the start of every
    rebuild (`run`)."""

    def __init__(self) -> None:
        self.state: tuple[Any, Any, Any, Any, Any] | None = None
        self._pending: tuple[Any, Any, Any, Any, Any] | None = None
        self._by_src: tuple[Any, dict[str, Any]] = (None, {})  # (the doc_files it indexes, abs source path -> file)
        self.server: Any = None
        self.lock = threading.Lock()
        # HTML file -> when it was quick-built; served without waiting for MkDocs' rebuild until a full build that
        # started after it has ended
        self.fresh: dict[str, float] = {}
        self.events: queue.SimpleQueue[str] = queue.SimpleQueue()

    def capture(self, build_mod: Any) -> None:
        real_populate, real_build_page = build_mod._populate_page, build_mod._build_page
        files_seen: list[Any] = [None]

        def populate(page: Any, config: Any, files: Any, dirty: bool = False) -> None:
            files_seen[0] = files
            real_populate(page, config, files, dirty)

        def build_page(page: Any, config: Any, doc_files: Any, nav: Any, env: Any, dirty: bool = False,
                       excluded: bool = False) -> None:
            real_build_page(page, config, doc_files, nav, env, dirty, excluded)
            self._pending = (config, files_seen[0], doc_files, nav, env)

        build_mod._populate_page, build_mod._build_page = populate, build_page
        self._populate, self._build_page = real_populate, real_build_page

    def built(self, started: float = math.inf) -> None:
        """A full build that started at `started` (time.monotonic) finished: its objects become the state quick pages
        are built with, and the pages quick-built before it began are its own again."""
        if self._pending is not None:
            self.state, self._pending = self._pending, None
        with self.lock:
            self.fresh = {path: at for path, at in self.fresh.items() if at >= started}

    def changed(self) -> list[Any]:
        if self.state is None:
            return []
        out = []
        for f in self.state[2]:
            if _stale(f):
                out.append(f)
                if len(out) > QUICK_MAX:
                    return []
        return out

    def _build(self, pages: list[Any]) -> list[str]:
        if not pages or self.state is None:
            return []
        config, files, doc_files, nav, env = self.state
        for f in pages:
            self._populate(f.page, config, files, False)
            self._build_page(f.page, config, doc_files, nav, env, False, f.inclusion.is_excluded())
            self.fresh[os.path.abspath(f.abs_dest_path)] = time.monotonic()
        self.announce()
        return [f.src_uri for f in pages]

    def announce(self) -> None:
        """Tell browsers to reload now (a new epoch; the running rebuild, if any, announces its own later)."""
        server = self.server
        if server is not None and hasattr(server, "_epoch_cond") and hasattr(server, "_wanted_epoch"):
            with server._epoch_cond:
                idle = server._visible_epoch == server._wanted_epoch
                server._visible_epoch = max(server._visible_epoch + 1, time.monotonic_ns() // 1_000_000)
                if idle:  # no rebuild running: other pages must not wait for one
                    server._wanted_epoch = server._visible_epoch
                server._epoch_cond.notify_all()

    def serve_fresh(self, server: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes] | None:
        """A quick-built page, at once: MkDocs holds every page request while a rebuild runs (seconds at 10,000
        cases), which would hide the quick page until the rebuild ends. None for anything else."""
        if environ.get("REQUEST_METHOD", "GET") != "GET":
            return None
        path = environ.get("PATH_INFO", "")
        if self.state is None:
            return None
        mount = getattr(server, "mount_path", "/")
        root = getattr(server, "root", None)
        if not isinstance(root, str) or not path.startswith(mount) or not path.endswith("/"):
            return None
        rel = posixpath.normpath("/" + path[len(mount):] + "index.html").lstrip("/")
        file_path = os.path.abspath(os.path.join(root, rel))
        with server._epoch_cond:  # MkDocs would hold this request until its rebuild ends: also stop waiting once quick-built
            server._epoch_cond.wait_for(lambda: server._visible_epoch == server._wanted_epoch or file_path in self.fresh,
                                        timeout=600)
        if file_path not in self.fresh:
            return None
        try:
            with open(file_path, "rb") as fh:
                content = fh.read()
        except OSError:
            return None
        with server._epoch_cond:
            epoch = server._visible_epoch
        content = server._inject_js_into_html(content, epoch)
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(content)))])
        return [content]

    def run(self) -> list[str]:
        """Rebuild every page changed since the last full build. Returns their source paths."""
        with self.lock:
            return self._build(self.changed())

    def run_paths(self, paths: set[str]) -> list[str]:
        """Rebuild the pages of these changed files (absolute paths), if they are known pages and newer than their HTML."""
        with self.lock:
            if self.state is None:
                return []
            doc_files = self.state[2]
            if self._by_src[0] is not doc_files:  # held, so a later list can never look like this one
                self._by_src = (doc_files, {f.abs_src_path: f for f in doc_files})
            by_src = self._by_src[1]
            pages = [f for f in (by_src.get(path) for path in sorted(paths)[: QUICK_MAX + 1]) if f is not None and _stale(f)]
            return self._build(pages) if len(pages) <= QUICK_MAX else []

    def on_event(self, event: Any) -> None:
        for path in (getattr(event, "dest_path", ""), getattr(event, "src_path", "")):
            if isinstance(path, str) and path.endswith(".md") and not event.is_directory:
                self.events.put(path)

    def watch_hint(self, hint: str, interval: float = 0.05) -> None:
        """`rdkb serve` writes the Markdown files it has just previewed into a hint file: polling one file is instant,
        where MkDocs' polling observer takes seconds to notice one change among 10,000 files. Only paths of known
        pages are ever rebuilt (run_paths), so the hint cannot make this write or serve anything else."""
        last = None
        while True:
            time.sleep(interval)
            try:
                st = os.stat(hint)
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
                if stamp == last:
                    continue
                last = stamp
                with open(hint, encoding="utf-8") as fh:
                    lines = fh.read(1 << 20).splitlines()[1:]
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines[: QUICK_MAX + 1]:
                if line.endswith(".md"):
                    self.events.put(line)

    def work(self) -> None:
        """The thread behind file events: coalesce a burst of writes, then rebuild those pages."""
        import logging

        log = logging.getLogger("mkdocs.rdkb")
        while True:
            paths = {self.events.get()}
            time.sleep(0.05)
            while not self.events.empty():
                paths.add(self.events.get())
            try:
                done = self.run_paths(paths)
                if done:
                    log.info("Quick pages rebuilt: %s", ", ".join(done[:5]))
            except Exception as exc:  # an optimisation only: the full rebuild still follows
                log.warning("Quick page rebuild skipped: %s", exc)


def install_quick_pages(quick: QuickPages, events: bool = True) -> bool:
    """Hook the quick step into `mkdocs serve`; False when this MkDocs lacks what it needs."""
    import logging

    from mkdocs.commands import build as build_mod
    from mkdocs.commands import serve as serve_mod
    from mkdocs.livereload import LiveReloadServer

    needed = (hasattr(build_mod, "_populate_page") and hasattr(build_mod, "_build_page") and hasattr(serve_mod, "build")
              and hasattr(LiveReloadServer, "watch") and hasattr(LiveReloadServer, "__init__"))
    if not needed:
        return False
    quick.capture(build_mod)
    real_build = serve_mod.build
    log = logging.getLogger("mkdocs.rdkb")

    def build(config: Any, **kwargs: Any) -> None:
        try:
            done = quick.run()
            if done:
                log.info("Quick pages rebuilt before the full rebuild: %s", ", ".join(done[:5]))
        except Exception as exc:  # the quick step is an optimisation: the full rebuild below still runs
            log.warning("Quick page rebuild skipped: %s", exc)
        started = time.monotonic()
        real_build(config, **kwargs)
        quick.built(started)

    serve_mod.build = build
    real_init, real_watch = LiveReloadServer.__init__, LiveReloadServer.watch

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        quick.server = self
        if events:
            threading.Thread(target=quick.work, name="rdkb-quick-pages", daemon=True).start()
            hint = os.environ.get("RDKB_SERVE_HINT", "")
            if hint:
                threading.Thread(target=quick.watch_hint, args=(hint,), name="rdkb-serve-hint", daemon=True).start()

    def watch(self: Any, path: str, *args: Any, **kwargs: Any) -> None:
        known = os.path.abspath(path) in getattr(self, "_watched_paths", {})
        real_watch(self, path, *args, **kwargs)
        if events and not known and os.path.isdir(path):
            import watchdog.events

            handler = watchdog.events.FileSystemEventHandler()
            handler.on_any_event = quick.on_event  # type: ignore[method-assign]
            self.observer.schedule(handler, os.path.abspath(path), recursive=True)

    LiveReloadServer.__init__ = init  # type: ignore[method-assign]
    LiveReloadServer.watch = watch  # type: ignore[method-assign]
    return True


def safe_log_records() -> None:
    """Every message MkDocs logs reaches the terminal made safe like the project's own (rdkb.safetext.terminal_safe):
    a record's text is escaped when the record is made, whatever handler then prints it."""
    import logging

    from rdkb.safetext import terminal_safe

    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        record.msg, record.args = terminal_safe(text, 2000), None
        return record

    logging.setLogRecordFactory(factory)


def main() -> None:
    from mkdocs import __main__ as mkdocs_main
    from mkdocs.livereload import LiveReloadServer

    safe_log_records()
    quick = QuickPages()
    installed = install_quick_pages(quick)
    LiveReloadServer.serve_request = guard(LiveReloadServer.serve_request, quick if installed else None)  # type: ignore[method-assign]
    sys.argv[0] = "mkdocs"
    mkdocs_main.cli()


if __name__ == "__main__":
    main()
