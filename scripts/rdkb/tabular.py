"""One convention for every CSV download, declared once (issue 23), and the one JSON format of the data files.

- A value the sources do not give is `not_reported`; a value that cannot exist for that row (the paper of a complaint
  row, the response of an agent not given, the source of a finding no source reports) is `not_applicable`. No cell is
  left blank, so the two stay apart and neither reads as an empty string.
- Booleans are `true` / `false` (R's read.csv, pandas and Frictionless all read them as logical values).
- Lists are `;`-separated.
The Downloads page shows the R and pandas calls below; the data package (data/datapackage.json) declares the same
missing values and boolean values, and a test loads every CSV with pandas and checks its column types.
"""

from __future__ import annotations

import json
from typing import Any

NOT_REPORTED = "not_reported"
NOT_APPLICABLE = "not_applicable"
MISSING_VALUES = (NOT_REPORTED, NOT_APPLICABLE)
TRUE, FALSE = "true", "false"

R_CALL = 'read.csv("cases.csv", na.strings = c("not_reported", "not_applicable"), encoding = "UTF-8")'
PANDAS_CALL = 'pandas.read_csv("cases.csv", na_values=["not_reported", "not_applicable"], keep_default_na=False)'


def cell(value: Any, missing: str = NOT_REPORTED) -> Any:
    """A CSV cell: the value, `true`/`false` for a boolean, `;`-joined for a list, `missing` when there is none."""
    if value is None or value == "" or value == []:
        return missing
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return value


def fact_cell(value: Any, status: str) -> Any:
    """A fact's cell from its value and status: the value when reported; `not_reported` / `not_applicable` as the record
    says; `absent` (the source says explicitly that there was none) is written as it is."""
    if status == "reported":
        return cell(value)
    return status if status in MISSING_VALUES or status == "absent" else NOT_REPORTED


def json_text(data: Any) -> str:
    """A data file's JSON, the one format of every JSON download: compact (no indentation: at 10,000 cases it was a
    third of cases.json), with one line per item of a top-level list or mapping, so a diff or `head` still shows
    one record per line."""
    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    if isinstance(data, list) and data:
        return "[\n" + ",\n".join(one(v) for v in data) + "\n]\n"
    if isinstance(data, dict) and data:
        return "{\n" + ",\n".join(f"{one(str(k))}:{one(v)}" for k, v in data.items()) + "\n}\n"
    return one(data) + "\n"
