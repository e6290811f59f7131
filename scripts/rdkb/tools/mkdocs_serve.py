"""`mkdocs serve` that answers only requests addressed to this machine (Host: localhost / 127.0.0.1 / [::1]).

MkDocs' live-reload server answers any Host header, so a web page on another origin could read the preview
through DNS rebinding. `make serve` runs MkDocs through this module, which refuses other Host headers with 403.
Run as `python -m rdkb.tools.mkdocs_serve serve ...` (the same arguments as `mkdocs`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

LOCAL_HOST = re.compile(r"(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?", re.I)


def host_allowed(host: str | None) -> bool:
    return bool(host) and LOCAL_HOST.fullmatch(host or "") is not None


def guard(serve_request: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def checked(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not host_allowed(environ.get("HTTP_HOST")):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"403: this preview answers only requests for localhost\n"]
        return serve_request(self, environ, start_response)

    return checked


def main() -> None:
    from mkdocs import __main__ as mkdocs_main
    from mkdocs.livereload import LiveReloadServer

    LiveReloadServer.serve_request = guard(LiveReloadServer.serve_request)  # type: ignore[method-assign]
    sys.argv[0] = "mkdocs"
    mkdocs_main.cli()


if __name__ == "__main__":
    main()
