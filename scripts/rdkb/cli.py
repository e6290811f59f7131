"""The only place that parses argv and picks exit codes: 0 clean, 1 data problems, 2 usage/internal."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rdkb.paths import REPO, Layout


def _layout(args: argparse.Namespace) -> Layout:
    return Layout(Path(args.root).resolve()) if args.root else REPO


def _print_issues(issues: list, stream=None) -> tuple[int, int]:
    stream = stream or sys.stderr
    errors = [i for i in issues if i.is_error]
    warnings = [i for i in issues if not i.is_error]
    for issue in issues:
        print(issue.format(), file=stream)
    return len(errors), len(warnings)


def cmd_check(args: argparse.Namespace) -> int:
    from rdkb.model import Issue
    from rdkb.pipeline import memo as check_memo

    layout = _layout(args)
    prefetched: dict[str, tuple[bytes, str]] = {}  # the files the content key reads and hashes: the check reads each once
    memo, stat_key, key = check_memo.replay(layout.root, layout.check_memo_file, layout.mkdocs_yml, prefetched)
    if memo is not None:  # nothing read by the check changed since the last one: the same result, without re-checking
        issues = [Issue(*i) for i in memo["issues"]]
        counts = str(memo["summary"])
        if memo.get("stat_key") != stat_key:  # the files were touched, not changed: remember their new stat
            from rdkb.pipeline.render import write_check_memo

            write_check_memo(layout.check_memo_file, {**memo, "stat_key": stat_key})
    else:
        from rdkb.kinds import excerpt
        from rdkb.pipeline.load import load
        from rdkb.pipeline.render import write_cache, write_check_memo
        from rdkb.pipeline.validate import precheck, validate
        from rdkb.registry import input_folders

        excerpt.start_matcher()  # the quote matcher's imports, on a spare core, while the records are read
        folders = sorted(input_folders())
        if not key:  # replay had no memo of this code to compare with, so it computed neither key
            stat_key = check_memo.fingerprint(layout.root, folders, layout.mkdocs_yml)  # before any file is read
            key = check_memo.inputs_digest(layout.root, folders, layout.mkdocs_yml, prefetched)
        try:
            ds = load(layout, prefetched=prefetched, also=precheck)
            issues = validate(ds)
        finally:
            excerpt.stop_matcher()
        write_cache(layout.cache_file, ds.cache)
        counts = ", ".join(f"{len(recs)} {kind}(s)" for kind, recs in ds.records.items()) + f", {len(ds.references)} references"
        write_check_memo(layout.check_memo_file, check_memo.new_memo(key, stat_key, folders, issues, counts))
    if args.quiet_warnings:
        issues = [i for i in issues if i.is_error]
    from rdkb.report import CheckResult, report

    result = CheckResult(tuple(issues), counts)
    report(result, args.format, sys.stdout, sys.stderr)
    return 1 if result.errors else 0


def cmd_build(args: argparse.Namespace) -> int:
    from rdkb.pipeline.build import build

    result = build(_layout(args), run_mkdocs=not args.no_mkdocs, strict=True, pdf=not args.no_pdf)
    _print_issues([i for i in result.issues if i.is_error or not args.quiet_warnings])
    if result.failed:
        print(f"build failed: {result.message}; site/ left unchanged", file=sys.stderr)
        return 1
    print(result.message, file=sys.stderr)
    return 0


def cmd_new_case(args: argparse.Namespace) -> int:
    from rdkb.tools.scaffold import new_case

    try:
        path = new_case(_layout(args), args.paper, args.id)
    except ValueError as exc:
        print(f"new-case: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from rdkb.tools.serve import serve

    return serve(_layout(args), args.dev_addr)


def cmd_bench(args: argparse.Namespace) -> int:
    if args.setup:
        from rdkb.tools import setup_cost

        return setup_cost.run(REPO.root, out_dir=REPO.root / "bench")
    from rdkb.tools.bench import run_bench

    return run_bench([int(n) for n in args.cases.split(",")], out_dir=REPO.root / "bench",
                     once=tuple(int(n) for n in args.once.split(",") if n.strip()))


def cmd_rules(args: argparse.Namespace) -> int:
    from rdkb.ruleset import markdown_table

    print(markdown_table(), end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rdkb", description="Runner's dystonia knowledge base tools.")
    parser.add_argument("--root", help="knowledge-base folder (default: this repository)")
    parser.add_argument("--quiet-warnings", action="store_true", help="print errors only")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="validate every record and the bibliography")
    c.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                   help="text (stderr, the default), json or sarif (stdout; SARIF 2.1.0 for code-scanning annotations)")
    c.set_defaults(func=cmd_check)
    b = sub.add_parser("build", help="validate, derive, render Markdown and data, then mkdocs build into site/")
    b.add_argument("--no-mkdocs", action="store_true", help="stop after rendering build/docs")
    b.add_argument("--no-pdf", action="store_true", help="skip printing the executive summary to PDF (needs Chromium)")
    b.set_defaults(func=cmd_build)
    n = sub.add_parser("new-case", help="write a new case record with every field present")
    n.add_argument("--paper", required=True, help="BibTeX key of the paper (add it to bib/references.bib first)")
    n.add_argument("--id", help="case id (default: <paper>-<next number>)")
    n.set_defaults(func=cmd_new_case)
    s = sub.add_parser("serve", help="live preview: re-renders when a record changes")
    s.add_argument("--dev-addr", default="127.0.0.1:8000")
    s.set_defaults(func=cmd_serve)
    be = sub.add_parser("bench", help="benchmark the build on synthetic cases")
    be.add_argument("--cases", default="100,1000,10000", help="comma-separated case counts")
    be.add_argument("--setup", action="store_true", help="only the first `make site` on a fresh clone: seconds, .venv MB")
    be.add_argument("--once", default="30000", help="comma-separated case counts measured once, in full (MkDocs "
                    "included); empty for none")
    be.set_defaults(func=cmd_bench)
    sub.add_parser("rules", help="print the rule table (id, meaning, fixture) as Markdown").set_defaults(func=cmd_rules)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 2
    except Exception as exc:  # an internal error is never a traceback for a contributor: say what and exit 2
        from rdkb.safetext import terminal_safe

        print(f"rdkb: internal error: {type(exc).__name__}: {terminal_safe(str(exc))}\n"
              "  hint: this is a bug in the build, not in your records; please report it (RDKB_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        if os.environ.get("RDKB_DEBUG"):
            raise
        return 2
