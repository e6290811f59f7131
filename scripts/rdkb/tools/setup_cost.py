"""`rdkb bench --setup` (part of `make bench`): what a newcomer pays first. The repository's last commit is cloned into a
temporary folder and `make site` runs there once, with this machine's package cache as it is (warm after any earlier
install); the report gives its seconds, the size of the .venv it created and the load average around the run (the
machine may be shared). Targets: under 60 s and under 200 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TARGET_S = 60.0
TARGET_MB = 200.0
# Variables an enclosing make or a developer's shell would hand down and that a newcomer's shell does not have.
_HANDED_DOWN = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHONPATH", "PYTHONPYCACHEPREFIX", "VIRTUAL_ENV")


def tree_mb(path: Path) -> float:
    """Disk use of a folder in MB as `du -sm` counts it (allocated blocks; hard links once; links not followed)."""
    seen: set[tuple[int, int]] = set()
    blocks = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                blocks += st.st_blocks
    return (blocks + os.lstat(path).st_blocks) * 512 / 2**20


def first_site(repo: Path, target: str = "site") -> dict:
    """Clone `repo`'s last commit into a temporary folder, run `make <target>` there once; seconds, .venv MB, load."""
    env = {k: v for k, v in os.environ.items() if k not in _HANDED_DOWN}
    with tempfile.TemporaryDirectory(prefix="rdkb-setup-") as tmp:
        clone = Path(tmp, "clone")
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True, env=env)
        commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], check=True, env=env,
                                capture_output=True, text=True).stdout.strip()
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.run(["make", "-s", target], cwd=clone, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
        if proc.returncode != 0:
            raise RuntimeError(f"make {target} failed in a fresh clone:\n{(proc.stdout + proc.stderr)[-2000:]}")
        return {"target": target, "commit": commit, "seconds": round(seconds, 1),
                "venv_mb": round(tree_mb(clone / ".venv"), 1), "load_before": round(load_before, 2),
                "load_after": round(load_after, 2), "cores": os.cpu_count(), "date": date.today().isoformat()}


def format_report(row: dict) -> str:
    ok_s, ok_mb = row["seconds"] < TARGET_S, row["venv_mb"] < TARGET_MB
    return "\n".join([
        "# Set-up cost: the first `make site` on a fresh clone", "",
        f"Commit {row['commit']}, {row['date']}, {row['cores']} cores; load average {row['load_before']} before and "
        f"{row['load_after']} after the run (the machine may be shared); the package cache as it was (warm).", "",
        "| target | met | measured |", "|---|---|---|",
        f"| first make site on a fresh clone < {TARGET_S:.0f} s | {'met' if ok_s else 'MISSED'} | {row['seconds']:.1f} s |",
        f"| its .venv < {TARGET_MB:.0f} MB | {'met' if ok_mb else 'MISSED'} | {row['venv_mb']:.0f} MB |", ""])


def run(repo: Path, out_dir: Path) -> int:
    """Measure, write bench/setup.json and bench/setup.md, print the report; 0 when both targets are met."""
    print("[bench] the first make site on a fresh clone ...", file=sys.stderr, flush=True)
    row = first_site(repo)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "setup.json").write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    report = format_report(row)
    (out_dir / "setup.md").write_text(report, encoding="utf-8")
    print(report)
    return 0 if row["seconds"] < TARGET_S and row["venv_mb"] < TARGET_MB else 1
