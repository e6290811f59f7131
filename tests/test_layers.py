"""The package's layers hold: over the WHOLE import graph (imports inside functions and under TYPE_CHECKING included,
read with ast), there is no cycle and no import that points up a layer.

Layers, bottom to top (a module may import its own layer or a lower one; stages only earlier stages):

0. foundation   - model, paths, rules (the rule registry), clock, safetext, parallel, mdext, interop.citations
1. readers      - yamlio (safe YAML and the file-level rules), schema (schemas + vocabulary), fields, pipeline.memo
2. kinds        - kinds.* (a kind never imports the registry: the pipeline passes it in)
3. views        - interop.hpo, interop.phenopackets, views.* (read the kinds' views)
4. registry     - the kinds in order
5. stages       - pipeline.load < validate < derive < render < pdf < build
6. entry points - tools.*, ruleset, report (the check's reporters), cli, __main__
"""

from __future__ import annotations

import ast
from pathlib import Path

from rdkb.paths import PACKAGE_DIR

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("rdkb", "rdkb.model", "rdkb.paths", "rdkb.rules", "rdkb.clock", "rdkb.safetext", "rdkb.parallel",
                    "rdkb.mdext", "rdkb.interop.citations", "rdkb.kinds", "rdkb.views", "rdkb.interop", "rdkb.pipeline",
                    "rdkb.tools", "rdkb.graph", "rdkb.tabular")),
    ("readers", ("rdkb.yamlio", "rdkb.schema", "rdkb.fields", "rdkb.pipeline.memo")),
    ("kinds", ("rdkb.kinds.*",)),
    ("views", ("rdkb.interop.hpo", "rdkb.interop.phenopackets", "rdkb.interop.datapackage", "rdkb.views.*")),
    ("registry", ("rdkb.registry",)),
    ("stages", ("rdkb.pipeline.*",)),
    ("entry points", ("rdkb.tools.*", "rdkb.ruleset", "rdkb.report", "rdkb.cli", "rdkb.__main__")),
]
STAGES = ["load", "validate", "derive", "render", "pdf", "build"]


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE_DIR.rglob("*.py"):
        parts = ("rdkb",) + p.relative_to(PACKAGE_DIR).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


MODULES = _modules()


def _imports_of(name: str, source: str) -> set[str]:
    """Modules of the package a module's source imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    deps: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "rdkb":
            for a in node.names:
                deps.add(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{name}: relative import (write `from rdkb... import`)")
        elif isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name.split(".")[0] == "rdkb"}
    return {d for d in deps if d != name}


def _graph() -> dict[str, set[str]]:
    return {name: _imports_of(name, path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of the graph, or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str]:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[m] = 2
        return []

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return []


GRAPH = _graph()


def _layer(module: str) -> int:
    for i, (_, patterns) in enumerate(LAYERS):
        for pat in patterns:
            if module == pat or (pat.endswith(".*") and module.startswith(pat[:-1]) and module != pat[:-2]):
                return i
    raise AssertionError(f"{module} is in no layer: place it in LAYERS (tests/test_layers.py)")


def test_every_module_has_a_layer_and_imports_only_modules_of_the_package():
    for name, deps in GRAPH.items():
        _layer(name)
        assert deps <= set(MODULES), (name, deps - set(MODULES))


def test_the_import_graph_has_no_cycle():
    assert _cycle(GRAPH) == [], "import cycle: " + " -> ".join(_cycle(GRAPH))


def test_no_import_points_up_a_layer():
    upward = [f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]})"
              for a, deps in sorted(GRAPH.items()) for b in sorted(deps) if _layer(b) > _layer(a)]
    assert upward == []


def test_stages_import_only_earlier_stages():
    for i, stage in enumerate(STAGES):
        for later in STAGES[i + 1:]:
            assert f"rdkb.pipeline.{later}" not in GRAPH[f"rdkb.pipeline.{stage}"], f"pipeline/{stage}.py imports {later}"


def test_kinds_never_import_the_registry_or_a_stage():
    for name, deps in GRAPH.items():
        if name.startswith(("rdkb.kinds.", "rdkb.views.", "rdkb.interop.")):
            assert not {d for d in deps if d == "rdkb.registry" or d.startswith("rdkb.pipeline.") and d != "rdkb.pipeline.memo"}, name


def test_the_checker_sees_a_lazy_import_and_finds_the_cycle_it_makes():
    """The tests above can fail: an import inside a function counts like a top-level one (the package once had a cycle
    through 24 modules made of such imports)."""
    lazy = _imports_of("rdkb.fields", "def case_schema():\n    from rdkb.pipeline.validate import generated_schema\n")
    assert lazy == {"rdkb.pipeline.validate"}
    graph = {**GRAPH, "rdkb.fields": GRAPH["rdkb.fields"] | lazy}
    assert _cycle(graph)[0] == _cycle(graph)[-1] and "rdkb.fields" in _cycle(graph)
    assert _layer("rdkb.pipeline.validate") > _layer("rdkb.fields")  # and it points up a layer


def test_the_layout_shorthands_are_their_kinds_folders(tmp_path):
    from rdkb.paths import Layout
    from rdkb.registry import folder

    layout = Layout(tmp_path)
    for short, kind in (("cases", "case"), ("tables", "table"), ("bib", "reference"), ("content", "content")):
        assert getattr(layout, short) == folder(layout, kind), short
