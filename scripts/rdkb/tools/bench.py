"""`make bench`: the pipeline on N synthetic, schema-valid cases; seconds per stage, memory, output size.

Each N runs in its own process (so peak memory is per N). The bare `mkdocs build` of the already
rendered Markdown is timed in the same run, so our overhead is a ratio that holds on a noisy machine.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

from rdkb import fields
from rdkb.paths import REPO, Layout
from rdkb.pipeline.render import write_text_if_changed
from rdkb.registry import input_folders
from rdkb.schema import vocabulary
from rdkb.yamlio import MAX_RECORD_BYTES


def _reported_value_schema(fact_type: str) -> dict[str, Any]:
    """The `value` schema of a fact type's reported branch (case.schema.json)."""
    for branch in fields.case_schema()["$defs"][fact_type].get("oneOf", []):
        value = branch.get("properties", {}).get("value")
        if isinstance(value, dict):
            return value
    return {}


def synthetic_value(f: fields.CaseField, i: int, vocab: dict[str, Any]) -> str:
    """A schema-valid YAML value for field f of synthetic case i, from the field table, the schema and the vocabulary."""
    spec = _reported_value_schema(f.fact_type)
    if "enum" in spec:
        return json.dumps(spec["enum"][i % len(spec["enum"])])
    if spec.get("type") == "number":
        return str(18 + i % 50)
    if spec.get("type") == "boolean":
        return "true" if i % 2 else "false"
    if spec.get("type") == "array":
        regions = list(vocab["body_regions"])
        return json.dumps(sorted({regions[i % len(regions)], regions[(i * 3) % len(regions)]}))
    return json.dumps(f"Synthetic {f.label.lower()} {i}")


def synthetic_case(i: int, paper: str) -> str:
    """One synthetic case: every fact of the field table, reported or (every fifth field) not reported."""
    vocab = vocabulary()
    agents, responses = list(vocab["agents"]), list(vocab["responses"])
    out = ["# yaml-language-server: $schema=../scripts/rdkb/schemas/case.schema.json",
           f"paper: {paper}", "in_review: false"]
    for n, f in enumerate(fields.CASE_FIELDS):
        if (i + n) % 5 == 0:
            out += [f"{f.name}:", "  status: not_reported"]
        else:
            out += [f"{f.name}:", "  status: reported", f"  value: {synthetic_value(f, i + n, vocab)}",
                    f'  source: {{ref: {paper}, locator: "case {i}"}}', "  transcribed: true"]
    regimen = sorted({agents[i % len(agents)], agents[(i // len(agents)) % len(agents)]})
    out += ["treatments:", "  status: reported", "  items:", f"    - agents: [{', '.join(regimen)}]",
            f'      response: "{responses[i % len(responses)]}"', f"      source: {{ref: {paper}}}",
            "other_interventions:", "  status: not_reported", f"notes: Synthetic benchmark case {i}; not data."]
    return "\n".join(out) + "\n"


MAX_SYNTHETIC_PAPERS = 4000
_CANDIDATE_BYTES, _LEDGER_BYTES = 190, 170  # at most, one synthetic report's entry in each literature file


def make_kb(dest: Path, n: int) -> Layout:
    """A knowledge base of n synthetic cases beside the real non-case inputs (written through rdkb.pipeline.render)."""
    layout = Layout(dest)
    for name in input_folders():
        if name not in ("cases", "bib") and (REPO.root / name).is_dir():
            shutil.copytree(REPO.root / name, dest / name)
    shutil.copyfile(REPO.mkdocs_yml, dest / "mkdocs.yml")
    bib = [(REPO.bib / "references.bib").read_text(encoding="utf-8")]
    # The bibliography stays under its 1 MiB limit (E309), and the screening list and the access ledger, which get one
    # entry per synthetic report, under the record size limit (E007): at 10,000 cases that caps the reports, not the cases.
    room = min([MAX_SYNTHETIC_PAPERS] + [(MAX_RECORD_BYTES - 512 - (dest / "literature" / name).stat().st_size) // size
                                         for name, size in (("candidates.yaml", _CANDIDATE_BYTES), ("access.yaml", _LEDGER_BYTES))
                                         if (dest / "literature" / name).is_file()])
    if room < 1:
        raise RuntimeError("literature/ leaves no room under the record size limit for the synthetic reports' entries")
    per_paper = max(4, -(-n // room))
    n_papers = max(1, -(-n // per_paper))
    for p in range(n_papers):
        bib.append(f"@article{{synth{p:05d},\n  access = {{abstract}},\n  author = {{Synthetic, A. and Author, B.}},\n  title = {{Synthetic paper {p}}},\n"
                   f"  journal = {{Benchmark Journal}},\n  year = {{2020}},\n  doi = {{10.5555/synth.{p}}}\n}}\n")
    write_text_if_changed(dest / "bib" / "references.bib", "\n".join(bib))
    cands = dest / "literature" / "candidates.yaml"  # each synthetic report was screened and included (rule E704)
    if cands.is_file():
        entries = "".join(f"- key: synth{p:05d}\n  citation: Synthetic paper {p}\n  publication_type: journal article\n"
                          f"  peer_reviewed: true\n  decision: include\n  reason: synthetic\n  urls: [https://example.org/synth{p}]\n" for p in range(n_papers))
        write_text_if_changed(cands, cands.read_text(encoding="utf-8").rstrip("\n") + "\n" + entries)
        ledger = dest / "literature" / "access.yaml"  # and, where an access ledger is kept, its entry
        if ledger.is_file():
            rows = "".join(f"- key: synth{p:05d}\n  role: included report\n  access: abstract\n  read:\n  - level: abstract\n"
                           f"    url: https://example.org/synth{p}\n  not_reachable: []\n" for p in range(n_papers))
            write_text_if_changed(ledger, ledger.read_text(encoding="utf-8").rstrip("\n") + "\n" + rows)
    for i in range(n):
        write_text_if_changed(dest / "cases" / f"synth{i // per_paper:05d}-{i % per_paper + 1}.yaml",
                              synthetic_case(i, f"synth{i // per_paper:05d}"))
    return layout


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _timed(cmd: list[str], cwd: Path) -> tuple[float, int, float]:
    """Run a command; returns (seconds, exit code, its own peak RSS in MB).

    The peak comes from GNU time, whose child is forked from a small process: a child forked from this
    (large) process would report this process's memory as its own high-water mark."""
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    wrapped = [gnu_time, "-f", "RDKB_MAXRSS_KB=%M"] + cmd if gnu_time else cmd
    t0 = time.perf_counter()
    proc = subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - t0
    found = [ln for ln in proc.stderr.splitlines() if ln.startswith("RDKB_MAXRSS_KB=")]
    peak = int(found[-1].split("=")[1]) / 1024 if found else -1.0
    return elapsed, proc.returncode, peak


def _index_sizes(site: Path) -> tuple[float, float]:
    import gzip

    raw = (site / "search" / "search_index.json").read_bytes()
    return len(raw) / 1e6, len(gzip.compress(raw, 9)) / 1e6


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - our own local server
            return str(resp.read().decode("utf-8", "replace"))
    except OSError:
        return ""


def edit_to_visible(layout: Layout, case_id: str, timeout: float = 1800) -> float:
    """`rdkb serve` on the knowledge base; once the case page is served, change one value in its record and time
    until the served page shows it (our re-render + MkDocs' dirty rebuild). Seconds, or -1 if it never shows."""
    import signal

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}
    proc = subprocess.Popen([sys.executable, "-m", "rdkb", "--root", str(layout.root), "serve", "--dev-addr", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/cases/{case_id}/"
    try:
        deadline = time.monotonic() + timeout
        while "Synthetic main complaint" not in _get(url):
            if time.monotonic() > deadline or proc.poll() is not None:
                return -1.0
            time.sleep(0.5)
        path = layout.cases / f"{case_id}.yaml"
        marker = f"Edited main complaint {time.time_ns()}"
        text = path.read_text(encoding="utf-8")
        start = text.index('value: "Synthetic main complaint')
        end = text.index("\n", start)
        t0 = time.perf_counter()
        write_text_if_changed(path, text[:start] + f'value: "{marker}"' + text[end:])
        while marker not in _get(url):
            if time.perf_counter() - t0 > 600:
                return -1.0
            time.sleep(0.05)
        return time.perf_counter() - t0
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def bench_one(n: int, full: bool = True, with_mkdocs: bool = True, bare: bool = False) -> dict:
    """One run at n cases, inside its own process. `full` adds the edit-to-visible measurement (done once per size);
    without MkDocs only our stages and `make check` are measured; `bare` adds a plain MkDocs build of the rendered
    Markdown (our overhead as a ratio)."""
    from rdkb.pipeline import render
    from rdkb.pipeline.build import build

    tmp = Path(tempfile.mkdtemp(prefix=f"rdkb-bench-{n}-"))
    try:
        layout = make_kb(tmp / "kb", n)
        check_cmd = [sys.executable, "-m", "rdkb", "--root", str(layout.root), "--quiet-warnings", "check"]
        check_cold, rc, check_peak = _timed(check_cmd, layout.root)
        check_warm, _, _ = _timed(check_cmd, layout.root)
        render.remove_tree(layout.cache_file.parent)  # the build below measures our stages cold
        result = build(layout, run_mkdocs=with_mkdocs, strict=True)
        if result.failed:
            raise RuntimeError(result.message + "\n" + "\n".join(i.format() for i in result.issues[:5]))
        warm = build(layout, run_mkdocs=False)  # our stages again, parse/validation cache warm
        t = result.timings
        ours = t["load"] + t["validate"] + t["derive"] + t["render"]
        ours_warm = sum(warm.timings[k] for k in ("load", "validate", "derive", "render"))
        row: dict[str, Any] = {
            "cases": n, "check_exit": rc, "check_cold_s": check_cold, "check_warm_s": check_warm,
            "check_peak_mb": check_peak, **{f"{k}_s": v for k, v in t.items()}, "ours_s": ours, "ours_warm_s": ours_warm,
            "render_ms_per_case": 1000 * t["render"] / n, "pages": result.pages,
            "peak_rss_ours_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
        if with_mkdocs:
            case_pages = [p for p in (layout.site / "cases").glob("*/index.html") if p.parent.name != "cases"]
            raw_mb, gz_mb = _index_sizes(layout.site)
            row.update({"total_s": ours + t["mkdocs"], "output_mb": _du(layout.site) / 1e6,
                        "case_page_kb": (sum(p.stat().st_size for p in case_pages) / len(case_pages) / 1e3) if case_pages else 0,
                        "search_index_mb": raw_mb, "search_index_gzip_mb": gz_mb})
        if bare and with_mkdocs:
            bare_site = tmp / "bare-site"
            secs, bare_rc, bare_peak = _timed([sys.executable, "-m", "mkdocs", "build", "--config-file", str(layout.generated_mkdocs_yml),
                                               "--site-dir", str(bare_site)], layout.root)
            row.update({"bare_mkdocs_s": secs, "bare_rc": bare_rc, "peak_rss_mkdocs_mb": bare_peak})
        if full and with_mkdocs:
            row["edit_to_visible_s"] = edit_to_visible(layout, "synth00000-1")
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def real_row() -> dict:
    """The real knowledge base (a copy of the repository's inputs): the search index and the home page's first load."""
    from rdkb.pipeline.build import build

    tmp = Path(tempfile.mkdtemp(prefix="rdkb-bench-real-"))
    try:
        dest = tmp / "kb"
        for name in input_folders():
            if (REPO.root / name).is_dir():
                shutil.copytree(REPO.root / name, dest / name)
        shutil.copyfile(REPO.mkdocs_yml, dest / "mkdocs.yml")
        layout = Layout(dest)
        result = build(layout, run_mkdocs=True, strict=True)
        if result.failed:
            raise RuntimeError(result.message)
        raw_mb, gz_mb = _index_sizes(layout.site)
        return {"cases": "real", "search_index_mb": raw_mb, "search_index_gzip_mb": gz_mb,
                "first_load_gzip_kb": first_load_gzip_kb(layout.site), "pages": result.pages}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def first_load_gzip_kb(site: Path) -> float:
    """Bytes a browser fetches for the home page, gzip-compressed as static hosts serve them: the page, and the
    stylesheets, scripts, fonts and images it references from the site itself (the search index included,
    since Material's search worker fetches it on load)."""
    import gzip
    import re

    html = (site / "index.html").read_text(encoding="utf-8")
    refs = set(re.findall(r'(?:href|src)="([^"#?]+)', html))
    files = [site / "index.html", site / "search" / "search_index.json"]
    for ref in refs:
        if ref.startswith(("http:", "https:", "//", "mailto:")) or not ref.endswith((".css", ".js", ".woff2", ".svg", ".png", ".ico")):
            continue
        p = (site / ref).resolve()
        if p.is_file() and site.resolve() in p.parents:
            files.append(p)
            if p.suffix == ".css":  # fonts and images the stylesheet pulls in
                for sub in re.findall(r'url\(["\']?([^"\')]+)', p.read_text(encoding="utf-8", errors="replace")):
                    q = (p.parent / sub.split("#")[0].split("?")[0]).resolve()
                    if q.is_file() and site.resolve() in q.parents and q.suffix in (".woff2", ".svg", ".png"):
                        files.append(q)
    return sum(len(gzip.compress(f.read_bytes(), 6)) for f in dict.fromkeys(files)) / 1e3


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mkdocs", "mkdocs-material", "jinja2", "pyyaml", "jsonschema", "bibtexparser"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


RUNS = 3
ONCE = 30000  # measured once, in full (MkDocs included): the curve beyond the target size


def _run_child(call: str, env: dict[str, str]) -> dict | None:
    proc = subprocess.run([sys.executable, "-c", f"import json, rdkb.tools.bench as b; print(json.dumps({call}))"],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def median_row(runs: list[dict]) -> dict:
    """The median of every measure over the runs (a value measured in one run only is that run's)."""
    import statistics

    out: dict[str, Any] = {"cases": runs[0]["cases"], "runs": len(runs)}
    for key in dict.fromkeys(k for r in runs for k in r):
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)]
        if key != "cases" and values:
            out[key] = statistics.median(values)
    return out


MKDOCS_RUNS_FROM = 10000  # from this size on, MkDocs (4 minutes a build at 10,000) runs in the first run only


def run_bench(sizes: list[int], out_dir: Path, runs: int = RUNS, once: tuple[int, ...] = (ONCE,)) -> int:
    """Each size `runs` times (medians); the first run of each size also times edit-to-visible under serve. Then each
    size of `once` a single time, in full: check, our stages and MkDocs. The report is rewritten after every size, so
    a failure later keeps what was measured."""
    rows: list[dict] = []
    failed: list[str] = []
    real: dict | None = None
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}

    def write() -> None:
        report = format_report(rows, real) + "".join(f"\nNot measured: {f}\n" for f in failed)
        write_text_if_changed(out_dir / "latest.md", report)
        write_text_if_changed(out_dir / "latest.json", json.dumps({"rows": rows, "real": real, "runs": runs, "failed": failed,
                                                                   "cores": os.cpu_count(), "machine": machine(),
                                                                   "versions": _versions(), "date": date.today().isoformat()},
                                                                  indent=2))

    for n in sizes:
        done = []
        for r in range(runs):
            with_mkdocs = r == 0 or n < MKDOCS_RUNS_FROM
            print(f"[bench] {n} cases, run {r + 1}/{runs}{'' if with_mkdocs else ' (our stages and make check)'} ...",
                  file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            row = _run_child(f"b.bench_one({n}, full={r == 0}, with_mkdocs={with_mkdocs})", env)
            if row is None:
                failed.append(f"{n} cases, run {r + 1} failed")
                continue
            done.append(row)
            print(f"[bench] {n} cases, run {r + 1} done in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
        if done:
            rows.append(median_row(done))
        write()
    for n in once:
        print(f"[bench] {n} cases (once, MkDocs included) ...", file=sys.stderr, flush=True)
        row = _run_child(f"b.bench_one({n}, full=False, with_mkdocs=True)", env)
        if row is None:
            failed.append(f"{n} cases failed")
        else:
            rows.append(median_row([row]))
        write()
    print("[bench] the real knowledge base ...", file=sys.stderr, flush=True)
    real = _run_child("b.real_row()", env)
    write()
    print((out_dir / "latest.md").read_text(encoding="utf-8"))
    return 1 if failed else 0


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB memory"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores{' (' + cpu + ')' if cpu else ''}, {platform.machine()}{mem}, {platform.system()}"


def targets(rows: list[dict], real: dict | None = None) -> list[tuple[str, bool | None, str]]:
    by = {r["cases"]: r for r in rows}
    out: list[tuple[str, bool | None, str]] = []
    big, mid = by.get(10000), by.get(1000)

    def add(name: str, row: dict | None, key: str, ok: Any, fmt: str) -> None:
        if row is not None and key in row:
            out.append((name, bool(ok(row[key])), fmt.format(row[key])))

    add("make check at 10,000 < 3 s (cold cache)", big, "check_cold_s", lambda v: v < 3, "{:.2f} s")
    add("make check at 10,000 < 1 s (warm cache)", big, "check_warm_s", lambda v: v < 1, "{:.2f} s")
    if big and mid and "render_ms_per_case" in big and "render_ms_per_case" in mid:
        growth = big["render_ms_per_case"] / mid["render_ms_per_case"]
        out.append(("render linear: time per case at 10,000 <= 1.25 x at 1,000", growth <= 1.25, f"{growth:.2f} x"))
    if big and mid and "total_s" in big and "total_s" in mid:
        growth = big["total_s"] / mid["total_s"]
        out.append(("build time at 10,000 <= 11 x time at 1,000", growth <= 11, f"{growth:.1f} x"))
    if big and ("bare_mkdocs_s" in big or "mkdocs_s" in big):
        ratio = big["ours_s"] / big.get("bare_mkdocs_s", big.get("mkdocs_s", 1))
        out.append(("our stages <= 25% of MkDocs at 10,000 (cold cache)", ratio <= 0.25, f"{ratio:.0%}"))
    add("search index at 10,000 <= 2 MB gzip", big, "search_index_gzip_mb", lambda v: v <= 2, "{:.2f} MB")
    if real:
        add("search index at real size <= 150 KB gzip", real, "search_index_gzip_mb", lambda v: v <= 0.150, "{:.3f} MB")
        add("home page first load at real size <= 250 KB gzip", real, "first_load_gzip_kb", lambda v: v <= 250, "{:.0f} KB")
    add("edit to visible under make serve at 10,000 <= 2 s", big, "edit_to_visible_s", lambda v: 0 <= v <= 2, "{:.1f} s")
    if big:
        peak = max(big.get("peak_rss_ours_mb", 0), big.get("peak_rss_mkdocs_mb", 0), big.get("check_peak_mb", 0))
        out.append(("peak memory < 1 GB (10^9 bytes, 953.7 MiB) at 10,000", peak * 1024 * 1024 < 1e9,
                    f"{peak:.0f} MiB ({peak * 1.048576:.0f} MB)"))
    add("output per case page <= 25 KB", big, "case_page_kb", lambda v: v <= 25, "{:.1f} KB")
    add("total output at 10,000 < 400 MB", big, "output_mb", lambda v: v < 400, "{:.0f} MB")
    return out


def _cell(row: dict, key: str, fmt: str = "{:.2f}") -> str:
    v = row.get(key)
    return fmt.format(v) if isinstance(v, (int, float)) else "-"


def format_report(rows: list[dict], real: dict | None = None) -> str:
    v = _versions()
    lines = [f"# Benchmark: {machine()}", "", "Versions: " + ", ".join(f"{k} {x}" for k, x in v.items()) + ".",
             "Each size ran " + ", ".join(f"{r['cases']}: {r.get('runs', 1)}x" for r in rows) + "; every figure is the median of "
             "its runs (edit-to-visible is measured in the first run of each size, and at 10,000 cases MkDocs runs in the first run "
             "only: 4 minutes a build).", "",
             "| cases | check cold s | check warm s | load s | validate s | derive s | render s (ms/case) | ours s (warm) | mkdocs s | bare mkdocs s | total s | edit to visible s | peak MiB (ours / check / mkdocs) | output MB | case page KB | search index MB (gzip) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cases']} | {_cell(r, 'check_cold_s')} | {_cell(r, 'check_warm_s')} | {_cell(r, 'load_s')} | {_cell(r, 'validate_s')} | "
                     f"{_cell(r, 'derive_s')} | {_cell(r, 'render_s')} ({_cell(r, 'render_ms_per_case')}) | {_cell(r, 'ours_s')} ({_cell(r, 'ours_warm_s')}) | "
                     f"{_cell(r, 'mkdocs_s')} | {_cell(r, 'bare_mkdocs_s')} | {_cell(r, 'total_s')} | {_cell(r, 'edit_to_visible_s', '{:.1f}')} | "
                     f"{_cell(r, 'peak_rss_ours_mb', '{:.0f}')} / {_cell(r, 'check_peak_mb', '{:.0f}')} / {_cell(r, 'peak_rss_mkdocs_mb', '{:.0f}')} | "
                     f"{_cell(r, 'output_mb', '{:.1f}')} | {_cell(r, 'case_page_kb', '{:.1f}')} | {_cell(r, 'search_index_mb')} ({_cell(r, 'search_index_gzip_mb')}) |")
    if real:
        lines += ["", f"Real knowledge base: search index {_cell(real, 'search_index_mb', '{:.3f}')} MB "
                  f"({_cell(real, 'search_index_gzip_mb', '{:.3f}')} MB gzip); home page first load {_cell(real, 'first_load_gzip_kb', '{:.0f}')} KB "
                  "gzip (page, its own CSS, JS, fonts and images, and the search index)."]
    lines += ["", "| target | met | measured |", "|---|---|---|"]
    for name, ok, val in targets(rows, real):
        lines.append(f"| {name} | {'met' if ok else 'MISSED'} | {val} |")
    return "\n".join(lines) + "\n"
