"""Contributors: scaffolding, CLI feedback, hostile input rendered inert, link checks, CI workflows."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rdkb.paths import REPO
from rdkb.pipeline.build import build
from rdkb.tools.linkcheck import check_site

ENV = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}


def rdkb(*args, root=None):
    cmd = [sys.executable, "-m", "rdkb"] + (["--root", str(root)] if root else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False)


def test_new_case_scaffold_is_complete_and_valid(kb):
    proc = rdkb("new-case", "--paper", "katz2013", root=kb.root)
    assert proc.returncode == 0, proc.stderr
    path = kb.cases / "katz2013-5.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../scripts/rdkb/schemas/case.schema.json")
    schema = json.loads((REPO.root / "scripts/rdkb/schemas/case.schema.json").read_text())
    data = yaml.safe_load(text)
    assert set(schema["required"]) <= set(data)
    assert rdkb("--quiet-warnings", "check", root=kb.root).returncode == 0


def test_new_case_refuses_unknown_paper_and_unsafe_id(kb):
    assert rdkb("new-case", "--paper", "nosuch2099", root=kb.root).returncode == 2
    assert rdkb("new-case", "--paper", "katz2013", "--id", "../evil", root=kb.root).returncode == 2
    assert not list(kb.root.glob("evil*"))


def test_check_output_is_exact_and_has_no_traceback(kb):
    shutil.copyfile(REPO.root / "tests/fixtures/invalid/cases/E103-unknown-agent.yaml", kb.cases / "new2024-1.yaml")
    text = (kb.cases / "new2024-1.yaml").read_text().replace("age_at_onset:\n  status: not_reported",
                                                             "age_at_onset:\n  status: reported\n  value: old\n  source: {ref: nosuch2001}")
    (kb.cases / "new2024-1.yaml").write_text(text)
    proc = rdkb("--quiet-warnings", "check", root=kb.root)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    src = text.splitlines()
    value_line = src.index("  value: old") + 1
    ref_line = src.index("  source: {ref: nosuch2001}") + 1
    assert f"cases/new2024-1.yaml:{value_line}: E102 age_at_onset.value: expected number, got str 'old'" in lines
    assert f"cases/new2024-1.yaml:{ref_line}: E202 age_at_onset.source.ref: unknown bib key 'nosuch2001'" in lines
    assert any(re.fullmatch(r"cases/new2024-1\.yaml:\d+: E103 treatments\.items\[0\]\.agents\[0\]: 'botox' is not in the vocabulary", ln)
               for ln in lines)
    assert "  hint: use 'botulinum-toxin' (the controlled vocabulary; see scripts/rdkb/schemas/vocabulary.json)" in lines
    n_cases = len(list(kb.cases.glob("*.yaml")))
    assert lines[-1].startswith("checked ") and f" {n_cases} case(s)" in lines[-1] and lines[-1].endswith("3 error(s), 0 warning(s)")


def test_usage_error_exit_code():
    assert rdkb("no-such-command").returncode == 2


def _make(*args, cwd=REPO.root):
    """make with this interpreter and no install step (STAMP and PTH_STAMP empty: nothing is installed)."""
    return subprocess.run(["make", "--no-print-directory", "-C", str(cwd), f"PY={sys.executable}", "STAMP=", "PTH_STAMP=", *args],
                          capture_output=True, text=True, env=ENV, check=False)


def test_documented_exit_codes_are_true_through_make_and_rdkb(tmp_path):
    """README and CONTRIBUTING: rdkb check exits 0 clean, 1 for data problems; make reports any failure as 2."""
    from conftest import copy_fixture_kb

    kb = copy_fixture_kb(tmp_path / "kb")
    assert rdkb("--quiet-warnings", "check", root=kb.root).returncode == 0
    assert _make("check", f"ROOT={kb.root}").returncode == 0
    shutil.copyfile(REPO.root / "tests/fixtures/invalid/cases/E103-unknown-agent.yaml", kb.cases / "new2024-1.yaml")
    assert rdkb("check", root=kb.root).returncode == 1
    proc = _make("check", f"ROOT={kb.root}")
    assert proc.returncode == 2 and " E103 " in proc.stderr
    for doc in ("README.md", "CONTRIBUTING.md"):
        text = " ".join((REPO.root / doc).read_text(encoding="utf-8").split())
        assert "1 data problems" in text or "1 for data problems" in text, doc
        assert "make reports any failure as 2" in text or "2 for any failure" in text, doc


def test_rdkb_runs_from_the_venv_without_pythonpath(tmp_path):
    """make's install step writes a .pth naming scripts/, so `python -m rdkb rules` needs no PYTHONPATH."""
    import sysconfig
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the locked dependencies, not rdkb
    make = subprocess.run(["make", "--no-print-directory", "-C", str(REPO.root), f"VENV={env_dir}", f"PY={py}", "STAMP=",
                           f"PTH_STAMP={env_dir}/.rdkb-pth", f"{env_dir}/.rdkb-pth"],
                          capture_output=True, text=True, env={k: v for k, v in ENV.items() if k != "PYTHONPATH"}, check=False)
    assert make.returncode == 0, make.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(py), "-m", "rdkb", "rules"], cwd=tmp_path, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("| rule | meaning | fixture |")


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) **b** {{ 7*7 }} <b>raw</b>"

NEW_CANDIDATE = """
- key: newauthor2024
  citation: Newauthor A, Second B. A new runner with task-specific leg dystonia. Mov Disord Clin Pract. 2024.
  publication_type: journal article
  peer_reviewed: true
  decision: include
  reason: One runner with task-specific leg dystonia.
  urls: [https://doi.org/10.1234/example.2024]
"""


def _add_newcomer_case(kb) -> None:
    bib = kb.bib / "references.bib"
    bib.write_text(bib.read_text() + "\n@article{newauthor2024,\n  access = {abstract},\n  author = {Newauthor, Alice and Second, Bob},\n"
                   "  title = {A new runner with task-specific leg dystonia},\n  journal = {Mov Disord Clin Pract},\n"
                   "  year = {2024},\n  doi = {10.1234/example.2024}\n}\n")
    cands = kb.root / "literature" / "candidates.yaml"
    cands.write_text(cands.read_text(encoding="utf-8").rstrip("\n") + "\n" + NEW_CANDIDATE, encoding="utf-8")  # E705 otherwise
    from contribution import add_ledger_entry

    add_ledger_entry(kb.root, "- key: newauthor2024\n  role: included report\n  access: abstract\n  read:\n  - level: abstract\n"
                              "    url: https://doi.org/10.1234/example.2024\n  not_reachable: []\n")
    assert rdkb("new-case", "--paper", "newauthor2024", root=kb.root).returncode == 0
    path = kb.cases / "newauthor2024-1.yaml"
    text = path.read_text().replace("sex:\n  status: not_reported",
                                    "sex:\n  status: reported\n  value: female\n  source: {ref: newauthor2024, locator: Case report}")
    text = text.replace("treatments:\n  status: not_reported",
                        "treatments:\n  status: reported\n  items:\n    - agents: [trihexyphenidyl]\n      response: mild\n"
                        "      source: {ref: newauthor2024, locator: Treatment}")
    path.write_text(text)


def _make_text_hostile(kb) -> None:
    q = "'" + HOSTILE.replace("'", "''") + "'"
    p = kb.cases / "mcclinton2012-1.yaml"
    text = p.read_text()
    text = re.sub(r"(?m)^(\s+)quote: .*$", lambda m: f"{m.group(1)}quote: {q}", text)
    text = re.sub(r"(?m)^(\s+)note: .*$", lambda m: f"{m.group(1)}note: {q}", text)
    text = re.sub(r"(?m)^(\s+)description: .*$", lambda m: f"{m.group(1)}description: {q}", text)
    text = re.sub(r"(?m)^(\s+)result: .*$", lambda m: f"{m.group(1)}result: {q}", text)
    text = re.sub(r"(?m)^(\s+)response_wording: .*$", lambda m: f"{m.group(1)}response_wording: {q}", text)
    text = text.replace('locator: "Literature-based treatments"', f"locator: {q}")
    # quotes must be the cited work's words: cite the paper and give its stored text the hostile words too
    text = text.replace("ref: davis2015review", "ref: mcclinton2012").replace(", via: davis2015review", "")
    p.write_text(text)
    excerpt = kb.root / "references_cache" / "PMID_22523088.md"
    # (linkml-reference-validator reads "[x]" in a quote as an editorial insertion, so the stored text holds it without)
    excerpt.write_text(excerpt.read_text().rstrip("\n") + " " + HOSTILE.replace("[x]", "") + "\n", encoding="utf-8")
    t = kb.tables / "complaints.yaml"
    # the row's text, and its codes' description, which keeps the row's words (E405)
    t.write_text(t.read_text().replace("text: Knee extension\n", f"text: {q}\n", 1)
                 .replace('description: "Knee extension"\n', f"description: {q}\n", 1))


@pytest.fixture(scope="module")
def contributed(tmp_path_factory):
    """One strict build (MkDocs and PDF) shared by the tests below: a newcomer's case with a new reference, and hostile
    text in every text field of another case, its excerpt and a complaint row."""
    from conftest import copy_kb

    kb = copy_kb(tmp_path_factory.mktemp("contributed") / "kb")
    _add_newcomer_case(kb)
    _make_text_hostile(kb)
    result = build(kb, run_mkdocs=True, pdf=True)
    assert not result.failed, result.message + "\n" + "\n".join(i.format() for i in result.issues if i.is_error)
    return kb


def test_newcomer_adds_a_case_with_a_new_reference(contributed):
    kb = contributed
    docs = kb.build_docs
    assert "](newauthor2024-1.md)" in (docs / "cases/index.md").read_text()
    assert "newauthor2024-1" in (docs / "papers/newauthor2024.md").read_text()
    assert "cases/newauthor2024-1.md" in (docs / "treatments.md").read_text()
    assert "cases/newauthor2024-1.md" in (docs / "agents/trihexyphenidyl.md").read_text()
    cases = json.loads((docs / "data/cases.json").read_text())
    assert any(c["id"] == "newauthor2024-1" and c["sex"] == "female" for c in cases)
    n_papers = len({c["paper"] for c in cases})
    assert f"{len(cases)} literature cases from {n_papers} papers" in (docs / "index.md").read_text()
    assert len(cases) == len(list(kb.cases.glob("*.yaml")))
    assert check_site(kb.site) == []


def test_hostile_text_in_every_text_field_is_inert(contributed):
    kb = contributed
    for page in ("cases/mcclinton2012-1/index.html", "complaints/index.html", "agents/clonazepam/index.html"):
        raw = (kb.site / page).read_text()
        body = raw[raw.index("<article"):raw.index("</article>")]
        assert "<script>alert" not in body and "<img src=x" not in body and "<b>raw" not in body
        assert 'href="javascript' not in body and "<strong>b</strong>" not in body
        assert HOSTILE in html.unescape(re.sub(r"<[^>]+>", "", body)), page


def test_link_check_passes_on_the_built_site_and_catches_breakage(built, tmp_path):
    assert check_site(built.site) == []
    copy = tmp_path / "site"
    shutil.copytree(built.site, copy)
    page = copy / "complaints" / "index.html"
    page.write_text(page.read_text().replace('href="../cases/', 'href="../casez/', 1)
                    .replace("</article>", '<a href="../references/#no-such-anchor">x</a><a href="https://exa mple">y</a></article>'))
    problems = check_site(copy)
    assert any("broken link" in p for p in problems)
    assert any("broken anchor" in p for p in problems)
    assert any("malformed external link" in p for p in problems)


def test_workflows_are_hardened_and_run_the_same_target():
    ci = (REPO.root / ".ci/run").read_text()
    assert "make test" in ci
    for name in ("test.yml", "pages.yml"):
        text = (REPO.root / ".github/workflows" / name).read_text()
        wf = yaml.safe_load(text)
        triggers = wf.get("on", wf.get(True))  # PyYAML reads the key `on` as true
        assert "pull_request_target" not in triggers and "workflow_run" not in triggers
        assert wf["permissions"] == {"contents": "read"}
        for job in wf["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        assert "${{ secrets." not in text
    test_wf = (REPO.root / ".github/workflows/test.yml").read_text()
    assert ".ci/run" in test_wf


def test_editor_schema_wiring():
    settings = json.loads((REPO.root / ".vscode/settings.json").read_text())
    assert settings["yaml.schemas"]["./scripts/rdkb/schemas/case.schema.json"] == ["cases/*.yaml"]
    for p in (REPO.root / "cases").glob("*.yaml"):
        assert p.read_text().startswith("# yaml-language-server: $schema=../scripts/rdkb/schemas/case.schema.json"), p
    for schema in (REPO.root / "scripts/rdkb/schemas").glob("*.schema.json"):
        s = json.loads(schema.read_text())

        def walk(node, path, name=schema.name):
            if isinstance(node, dict):
                for k, v in node.get("properties", {}).items():
                    if isinstance(v, dict):  # `true` re-declares a property described in an allOf branch
                        assert "description" in v or "$ref" in v, f"{name}: {path}.{k} has no description"
                for v in node.values():
                    walk(v, path)
            elif isinstance(node, list):
                for v in node:
                    walk(v, path)
        walk(s, schema.stem)


# Not copied into the working-tree copy: version control, the environment, build outputs and caches.
_NOT_COPIED = {".git", ".venv", "build", "site", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
               ".hypothesis", "artifacts"}

# The test modules that read the real records or build from them (the browser, security and speed suites are code tests).
DATA_SUITE = ("tests/test_records.py", "tests/test_validate.py", "tests/test_build.py", "tests/test_living.py",
              "tests/test_interop.py", "tests/test_render.py", "tests/test_architecture.py", "tests/test_errata.py",
              "tests/test_workup.py", "tests/test_figures_panel.py", "tests/test_handout.py")


def copy_working_tree(dest):
    """The working tree as it is on disk (uncommitted and untracked work included), not a clone of HEAD."""
    shutil.copytree(REPO.root, dest, symlinks=True, ignore=lambda d, names: [n for n in names if n in _NOT_COPIED])
    return dest


@pytest.mark.slow
def test_contributor_path_leaves_the_suite_green_on_a_copy_of_the_working_tree(tmp_path):
    """A contribution of every kind, made as CONTRIBUTING.md says, in a copy of the working tree: a bib entry and its
    excerpt file in references_cache/, a series record, a case from `new-case` with reported facts and a phenotype, a
    screening entry, a new agent in the vocabulary and a new HPO term in the vendored subset. Then check, build and the
    data-dependent test modules pass on that copy without any test being touched."""
    from contribution import CASE_ID, KEY, contribute

    tree = copy_working_tree(tmp_path / "tree")
    env = {**os.environ, "PYTHONPATH": str(tree / "scripts"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    contribute(tree, env=env)

    def run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    check = run("rdkb", "check")
    assert check.returncode == 0, check.stderr[-3000:]
    assert f"cases/{CASE_ID}.yaml" not in check.stderr and f"series/{KEY}.yaml" not in check.stderr, check.stderr[-3000:]
    build = run("rdkb", "--quiet-warnings", "build", "--no-pdf")
    assert build.returncode == 0, build.stderr[-3000:]
    docs = tree / "build" / "docs"
    assert f"]({CASE_ID}.md)" in (docs / "cases" / "index.md").read_text(encoding="utf-8")
    assert any(r["key"] == KEY and r["decision"] == "include"
               for r in json.loads((docs / "data" / "reports.json").read_text(encoding="utf-8"))["reports"])
    suite = run("pytest", "-q", "-p", "no:cacheprovider", "-m", "not browser", *DATA_SUITE, timeout=1800)
    assert suite.returncode == 0, suite.stdout[-4000:]
