"""Today's date, in one place: kinds (W701's freshness) and the check's memo (keyed on the date) read it."""

from __future__ import annotations

import datetime
import os


def today() -> datetime.date:
    """Today, or RDKB_TODAY (YYYY-MM-DD) so that tests never depend on the real date."""
    fixed = os.environ.get("RDKB_TODAY", "")
    try:
        return datetime.date.fromisoformat(fixed) if fixed else datetime.date.today()
    except ValueError:
        return datetime.date.today()
