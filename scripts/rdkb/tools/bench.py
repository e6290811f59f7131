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
from rdkb.pipeline.validate import vocabulary
from rdkb.registry import input_folders


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


def make_kb(dest: Path, n: int) -> Layout:
    """A knowledge base of n synthetic cases beside the real non-case inputs (written through rdkb.pipeline.render)."""
    layout = Layout(dest)
    for name in input_folders():
        if name not in ("cases", "bib") and (REPO.root / name).is_dir():
            shutil.copytree(REPO.root / name, dest / name)
    shutil.copyfile(REPO.mkdocs_yml, dest / "mkdocs.yml")
    bib = [(REPO.bib / "references.bib").read_text(encoding="utf-8")]
    n_papers = max(1, n // 4)
    for p in range(n_papers):
        bib.append(f"@article{{synth{p:05d},\n  access = {{abstract}},\n  author = {{Synthetic, A. and Author, B.}},\n  title = {{Synthetic paper {p}}},\n"
                   f"  journal = {{Benchmark Journal}},\n  year = {{2020}},\n  doi = {{10.5555/synth.{p}}}\n}}\n")
    write_text_if_changed(dest / "bib" / "references.bib", "\n".join(bib))
    for i in range(n):
        write_text_if_changed(dest / "cases" / f"synth{i // 4:05d}-{i % 4 + 1}.yaml", synthetic_case(i, f"synth{i // 4:05d}"))
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


def bench_one(n: int) -> dict:
    """Runs inside its own process."""
    from rdkb.pipeline import render
    from rdkb.pipeline.build import build

    tmp = Path(tempfile.mkdtemp(prefix=f"rdkb-bench-{n}-"))
    try:
        layout = make_kb(tmp / "kb", n)
        env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}
        check_cmd = [sys.executable, "-m", "rdkb", "--root", str(layout.root), "--quiet-warnings", "check"]
        t0 = time.perf_counter()
        cold = subprocess.run(check_cmd, env=env, capture_output=True, text=True, check=False)
        check_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run(check_cmd, env=env, capture_output=True, text=True, check=False)
        check_warm = time.perf_counter() - t0
        render.remove_tree(layout.cache_file.parent)  # the build below measures our stages cold
        result = build(layout, run_mkdocs=True, strict=True)
        if result.failed:
            raise RuntimeError(result.message + "\n" + "\n".join(i.format() for i in result.issues[:5]))
        warm = build(layout, run_mkdocs=False)  # our stages again, parse/validation cache warm
        bare_site = tmp / "bare-site"
        bare, rc, bare_peak = _timed([sys.executable, "-m", "mkdocs", "build", "--config-file", str(layout.mkdocs_yml),
                           "--site-dir", str(bare_site)], layout.root)
        case_pages = list((layout.site / "cases").glob("*/index.html"))
        case_pages = [p for p in case_pages if p.parent.name != "cases"]
        t = result.timings
        ours = t["load"] + t["validate"] + t["derive"] + t["render"]
        ours_warm = sum(warm.timings[k] for k in ("load", "validate", "derive", "render"))
        return {
            "cases": n, "check_exit": cold.returncode, "check_cold_s": check_cold, "check_warm_s": check_warm,
            **{f"{k}_s": v for k, v in t.items()}, "ours_s": ours, "ours_warm_s": ours_warm,
            "total_s": ours + t["mkdocs"], "bare_mkdocs_s": bare, "bare_rc": rc,
            "peak_rss_ours_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_rss_mkdocs_mb": bare_peak,
            "output_mb": _du(layout.site) / 1e6, "case_page_kb": (sum(p.stat().st_size for p in case_pages) / len(case_pages) / 1e3) if case_pages else 0,
            "search_index_mb": (layout.site / "search" / "search_index.json").stat().st_size / 1e6,
            "pages": result.pages,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mkdocs", "mkdocs-material", "jinja2", "pyyaml", "jsonschema", "bibtexparser"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


def run_bench(sizes: list[int], out_dir: Path) -> int:
    rows = []
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}
    for n in sizes:
        print(f"[bench] {n} cases: generating, checking, building ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", f"import json,rdkb.bench as b; print(json.dumps(b.bench_one({n})))"],
                              env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 2
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"[bench] {n} cases done in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
    report = format_report(rows)
    print(report)
    write_text_if_changed(out_dir / "latest.md", report)
    write_text_if_changed(out_dir / "latest.json", json.dumps({"rows": rows, "cores": os.cpu_count(), "versions": _versions(),
                                                     "date": date.today().isoformat()}, indent=2))
    return 0


def targets(rows: list[dict]) -> list[tuple[str, bool | None, str]]:
    by = {r["cases"]: r for r in rows}
    out: list[tuple[str, bool | None, str]] = []
    big, mid = by.get(10000), by.get(1000)
    if big:
        ratio = big["ours_s"] / big["bare_mkdocs_s"]
        ratio_w = big["ours_warm_s"] / big["bare_mkdocs_s"]
        out.append(("our stages <= 25% of bare mkdocs at 10,000 (cold cache)", ratio <= 0.25, f"{ratio:.0%}"))
        out.append(("our stages <= 25% of bare mkdocs at 10,000 (warm cache)", ratio_w <= 0.25, f"{ratio_w:.0%}"))
        out.append(("make check at 10,000 < 3 s (cold cache)", big["check_cold_s"] < 3, f"{big['check_cold_s']:.2f} s"))
        out.append(("make check at 10,000 < 3 s (warm cache)", big["check_warm_s"] < 3, f"{big['check_warm_s']:.2f} s"))
        out.append(("output per case page <= 25 KB", big["case_page_kb"] <= 25, f"{big['case_page_kb']:.1f} KB"))
        out.append(("total output at 10,000 < 400 MB", big["output_mb"] < 400, f"{big['output_mb']:.0f} MB"))
        peak = max(big["peak_rss_ours_mb"], big["peak_rss_mkdocs_mb"])
        out.append(("peak memory < 1 GB at 10,000", peak < 1024, f"{peak:.0f} MB"))
    if big and mid:
        growth = big["total_s"] / mid["total_s"]
        out.append(("time at 10,000 <= 11 x time at 1,000", growth <= 11, f"{growth:.1f} x"))
    return out


def format_report(rows: list[dict]) -> str:
    v = _versions()
    lines = [f"# Benchmark ({os.cpu_count()} cores, {platform.machine()}, "
             + ", ".join(f"{k} {x}" for k, x in v.items()) + ")", "",
             "| cases | load s | validate s | derive s | render s | ours s (warm) | mkdocs s | bare mkdocs s | ours/bare | total s | check cold s | check warm s | peak MB (ours / mkdocs) | output MB | per case page KB | search index MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['cases']} | {r['load_s']:.2f} | {r['validate_s']:.2f} | {r['derive_s']:.2f} | {r['render_s']:.2f} | "
                     f"{r['ours_s']:.2f} ({r['ours_warm_s']:.2f}) | {r['mkdocs_s']:.2f} | {r['bare_mkdocs_s']:.2f} | "
                     f"{r['ours_s'] / r['bare_mkdocs_s']:.0%} | {r['total_s']:.2f} | {r['check_cold_s']:.2f} | {r['check_warm_s']:.2f} | "
                     f"{r['peak_rss_ours_mb']:.0f} / {r['peak_rss_mkdocs_mb']:.0f} | {r['output_mb']:.1f} | {r['case_page_kb']:.1f} | {r['search_index_mb']:.2f} |")
    lines += ["", "| target | met | measured |", "|---|---|---|"]
    for name, ok, val in targets(rows):
        lines.append(f"| {name} | {'met' if ok else 'MISSED'} | {val} |")
    return "\n".join(lines) + "\n"
