"""data/datapackage.json (Frictionless Data Package) and the JSON Schemas of the JSON downloads (schemas/downloads/).

Every CSV and JSON download is a resource: a CSV with its Table Schema (column types, rdkb.tabular's missing values
and boolean values), a JSON file with the JSON Schema it follows (`jsonSchema`, a path relative to data/). The
package carries the licence (CC BY 4.0) and the release. The columns are the ones the exports write (the header
constants of their modules); the types are declared here, and a test checks that every CSV and JSON download the
build writes is described, and loads each CSV with pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdkb import __version__, fields, tabular
from rdkb.interop import hpo
from rdkb.kinds.base import Context, Export, Kind, OutFile
from rdkb.paths import SCHEMA_DIR

DOWNLOAD_SCHEMAS = SCHEMA_DIR / "downloads"
VENDOR = Path(__file__).resolve().parent / "vendor"
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
           "path": "https://creativecommons.org/licenses/by/4.0/"}
TITLE = "Runner's dystonia knowledge base"


def schema_files() -> dict[str, Path]:
    """The JSON Schemas of the JSON downloads, one per download ('<download name>.schema.json'), with their source:
    ours under schemas/downloads/, CSL-JSON's the vendored CSL schema."""
    out = {p.name: p for p in sorted(DOWNLOAD_SCHEMAS.glob("*.schema.json"))}
    out["references.csl.json.schema.json"] = VENDOR / "csl-data.schema.json"
    return dict(sorted(out.items()))


def _type_of_fact(name: str) -> str:
    return {"ageFact": "number", "boolFact": "boolean"}.get(fields.BY_NAME[name].fact_type, "string")


def _field(name: str, type_: str, description: str = "") -> dict[str, Any]:
    f: dict[str, Any] = {"name": name, "type": type_}
    if type_ == "boolean":
        f |= {"trueValues": [tabular.TRUE], "falseValues": [tabular.FALSE]}
    if description:
        f["description"] = description
    return f


def _status_field(name: str, values: list[str]) -> dict[str, Any]:
    """A status column: its not_reported is a value here, not a missing one (field-level missingValues)."""
    return {**_field(name, "string"), "missingValues": [], "constraints": {"required": True, "enum": values}}


def csv_schemas() -> dict[str, dict[str, Any]]:
    """Table Schema of each CSV download, by file name."""
    from rdkb.kinds.case import TREATMENT_LONG_HEADER
    from rdkb.kinds.table import TREATMENTS_CSV_HEADER

    cases = []
    for h in fields.csv_header():
        if h in fields.BY_NAME:
            cases.append(_field(h, _type_of_fact(h), fields.BY_NAME[h].label))
        else:
            cases.append(_field(h, "boolean" if h in ("in_review", "foot_or_ankle") else "string"))
    out = {"cases.csv": {"fields": cases, "primaryKey": ["id"]},
           "treatments.csv": {"fields": [_field(h, "string") for h in TREATMENTS_CSV_HEADER], "primaryKey": ["id"]}}
    tl = [_status_field(h, ["given", "absent", tabular.NOT_REPORTED]) if h == "status" else _field(h, "boolean" if h == "in_review" else "string")
          for h in TREATMENT_LONG_HEADER]
    out["treatments-long.csv"] = {"fields": tl}
    pl = [_status_field(h, ["present", "excluded", tabular.NOT_REPORTED]) if h == "status" else _field(h, "boolean" if h == "in_review" else "string")
          for h in hpo.PHENOTYPE_LONG_HEADER]
    out["phenotypes-long.csv"] = {"fields": pl}
    for s in out.values():
        s["missingValues"] = list(tabular.MISSING_VALUES)
    return out


def package(json_names: list[str]) -> dict[str, Any]:
    """The data package over the CSV downloads and the given JSON downloads (paths relative to data/)."""
    resources: list[dict[str, Any]] = []
    for name, schema in sorted(csv_schemas().items()):
        resources.append({"name": name.replace(".", "-"), "type": "table", "path": name, "scheme": "file", "format": "csv",
                          "mediatype": "text/csv", "encoding": "utf-8", "schema": schema, "licenses": [LICENSE]})
    for name in sorted(json_names):
        stem = name.replace("/", "-").replace(".", "-")
        resources.append({"name": stem, "type": "json", "path": name, "scheme": "file", "format": "json",
                          "mediatype": "application/json", "encoding": "utf-8", "jsonSchema": json_schema_ref(name),
                          "licenses": [LICENSE]})
    return {"name": "runners-dystonia-kb", "title": TITLE, "version": __version__, "licenses": [LICENSE],
            "description": "Cited records of the published cases of runner's dystonia and of the 2015 review, as CSV and JSON. "
                           "CSV: missing values not_reported / not_applicable, booleans true / false (" + tabular.R_CALL + "). "
                           "Quoted passages of the cited works keep their own terms.",
            "resources": resources}


# The JSON downloads, by name under data/ (phenopackets/<case-id>.json are added per case); each has a schema.
JSON_DOWNLOADS = ("cases.json", "causes.json", "claims.json", "complaints.json", "hpo-subset.json", "references.json",
                  "references.csl.json", "reports.json", "series.json", "survey.json", "synthesis.json", "treatments.json")
# A download whose kind already publishes its schema under schemas/ (one place: not copied to schemas/downloads/).
SCHEMA_OF_KIND = {"synthesis.json": "synthesis.schema.json"}


def json_schema_ref(name: str) -> str:
    """The `jsonSchema` of a JSON download: its schema's published path, relative to data/."""
    if name in SCHEMA_OF_KIND:
        return f"../schemas/{SCHEMA_OF_KIND[name]}"
    return f"../schemas/downloads/{name.split('/')[0]}.json.schema.json" if "/" in name else f"../schemas/downloads/{name}.schema.json"


def schema_source(ref: str) -> Path:
    """The source file of a `jsonSchema` reference (json_schema_ref)."""
    rel = ref.removeprefix("../schemas/")
    return schema_files()[rel.removeprefix("downloads/")] if rel.startswith("downloads/") else SCHEMA_DIR / rel


def json_downloads(ctx: Context) -> list[str]:
    """The JSON downloads the build writes (paths under data/); the phenopackets one by one."""
    from rdkb.kinds import case

    return list(JSON_DOWNLOADS) + [f"phenopackets/{c.id}.json" for c in ctx.view(case.KIND).cases]


def _package(ctx: Context) -> list[OutFile]:
    return [OutFile("data/datapackage.json", "json", package(json_downloads(ctx)))]


def _schemas(ctx: Context) -> list[OutFile]:
    return [OutFile(f"schemas/downloads/{name}", "copy", path) for name, path in schema_files().items()]


KIND: Kind[None] = Kind(
    name="datapackage", description="Frictionless data package and the JSON Schemas of the downloads",
    files=_schemas,
    exports=(Export("datapackage.json", "JSON object (Frictionless Data Package)", "download (resource)",
                    "name, version, licenses (CC-BY-4.0), resources: each CSV with its Table Schema (fields, types, missing "
                    "values not_reported / not_applicable, booleans true / false) and each JSON download with its JSON Schema "
                    "(jsonSchema, under schemas/downloads/)", _package, since="0.8"),),
)
