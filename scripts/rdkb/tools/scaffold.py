"""`make new-case PAPER=key`: a new record with every field present and commented, from the schema."""

from __future__ import annotations

import re
import textwrap

from rdkb import fields
from rdkb.kinds.reference import load_bibliography
from rdkb.paths import Layout
from rdkb.pipeline.render import write_new_record
from rdkb.yamlio import SAFE_ID

HEADER = "# yaml-language-server: $schema=../scripts/rdkb/schemas/case.schema.json\n"


def _comment(text: str, indent: str = "") -> str:
    return "".join(f"{indent}# {line}\n" for line in textwrap.wrap(text, 100))


def case_template(paper: str) -> str:
    schema = fields.case_schema()  # with the vocabulary's enums
    props = schema["properties"]
    out = [HEADER,
           _comment("New case record. Every fact is three-state:"),
           _comment("  reported:     status: reported, value: ..., source: {ref: <bibkey>, locator: <where in it>}, quote: <the source's exact words>"),
           _comment("                (read in another work? add via: <its bibkey> to source, and quote that work; no verbatim text? "
                    "write transcribed: true instead of quote)"),
           _comment("  absent:       status: absent, source: {...}   (the source says explicitly it did not happen)"),
           _comment("  not reported: status: not_reported            (no source gives it; NEVER guess)"),
           _comment("Run `make check` for precise feedback (file:line: RULE message + hint)."),
           "\n"]
    for name in schema["required"] + [p for p in props if p not in schema["required"]]:
        spec = props[name]
        out.append(_comment(spec.get("description", "")))
        if name == "paper":
            out.append(f"paper: {paper}\n\n")
        elif name == "in_review":
            out.append("in_review: false\n\n")
        elif name == "notes":
            out.append("# notes: free text, shown escaped\n\n")
        elif name in ("treatments", "other_interventions"):
            example = ("#   items:\n#     - agents: [levodopa]          # vocabulary: " + ", ".join(schema["$defs"]["agent"]["enum"]) + "\n"
                       "#       response: marked            # " + ", ".join(schema["$defs"]["response"]["enum"]) + "\n"
                       "#       response_wording: ...\n#       source: {ref: " + paper + ", locator: ...}\n"
                       if name == "treatments" else
                       "#   items:\n#     - kind: surgery               # surgery, physiotherapy, sensorimotor-training, other\n"
                       "#       description: ...\n#       source: {ref: " + paper + ", locator: ...}\n")
            out.append(f"{name}:\n  status: not_reported\n"
                       f"# when reported, replace the two lines above with this block, uncommented:\n"
                       f"# {name}:\n#   status: reported\n{example}\n")
        elif name == "series":
            out.append(f"# series: {paper}\n\n")
        elif name == "phenotypes":
            out.append("# phenotypes:\n"
                       "#   - hpo: \"HP:0031959\"\n"
                       "#     label: Leg dystonia                 # the HPO label or an exact synonym\n"
                       "#     excluded: false                     # true only where the source says so explicitly\n"
                       "#     description: \"the source's own words\"\n"
                       f"#     source: {{ref: {paper}, locator: ...}}\n\n")
        elif name not in schema["required"] and not str(spec.get("$ref", "")).endswith("Fact"):
            # an optional field that is not a three-state fact (e.g. a list of links): its form is in CONTRIBUTING.md
            out.append(f"# ({name}: optional; its form is shown in CONTRIBUTING.md)\n\n")
        else:
            required = name in schema["required"]
            prefix = "" if required else "# "
            out.append(f"{prefix}{name}:\n{prefix}  status: not_reported\n\n")
    return "".join(out)


def commented_blocks(text: str) -> list[tuple[str, str]]:
    """(field, block) for every commented example of a scaffold: a `# <field>:` line and the `# ` lines under it, up
    to the next blank or uncommented line, uncommented. Each one, put in place of the field, gives a valid record."""
    out = []
    props = fields.case_schema()["properties"]
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.fullmatch(r"# ([a-z_]+):(.*)", line)
        if not m or m.group(1) not in props:
            continue
        block = [line[2:]]
        for nxt in lines[i + 1:]:
            if not nxt.startswith("#   "):
                break
            block.append(nxt[2:])
        out.append((m.group(1), "\n".join(block) + "\n"))
    return out


def new_case(layout: Layout, paper: str, case_id: str | None = None) -> str:
    refs, _, _ = load_bibliography(layout.bib / "references.bib", layout.root)
    if paper not in refs:
        raise ValueError(f"unknown bib key {paper!r}: add the paper to bib/references.bib first")
    if case_id is None:
        taken = {p.stem for p in layout.cases.glob(f"{paper}-*.yaml")}
        n = 1
        while f"{paper}-{n}" in taken:
            n += 1
        case_id = f"{paper}-{n}"
    if not SAFE_ID.match(case_id) or not re.match(r"^[a-z0-9-]{1,64}$", case_id):
        raise ValueError(f"{case_id!r} is not a safe id (lower-case letters, digits, single hyphens)")
    path = layout.cases / f"{case_id}.yaml"
    if path.exists():
        raise ValueError(f"{path} already exists")
    write_new_record(path, case_template(paper))
    return str(path.relative_to(layout.root))
