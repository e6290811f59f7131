"""Static SVG charts computed at build time (no charting library in the browser).

Every chart states its denominator and its missing-data count, carries a <title>/<desc> text
alternative, and labels every bar with its number, so colour never carries meaning alone.
Pure functions: data in, SVG text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from rdkb.kinds import case, claim, question, survey, table
from rdkb.kinds.base import Context, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset

PALETTE = ["#1b5e20", "#2e7d32", "#558b2f", "#9e9d24", "#f9a825", "#ef6c00", "#6a1b9a", "#757575"]
HATCH = ["", "url(#h1)", "", "url(#h2)", "", "url(#h1)", "url(#h2)", "url(#h3)"]
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def _note(x: int, y: int, text: str, width: int = 95) -> tuple[str, int]:
    """Wrapped note lines; returns the SVG and the number of lines."""
    import textwrap

    lines = textwrap.wrap(text, width)
    spans = "".join(f'<tspan x="{x}" dy="{0 if i == 0 else 15}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text x="{x}" y="{y}" font-size="12">{spans}</text>', len(lines)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], desc_q: str = "") -> str:
    defs = ('<defs>'
            '<pattern id="h1" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff" fill-opacity="0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
            '<pattern id="h2" width="6" height="6" patternUnits="userSpaceOnUse"><circle cx="3" cy="3" r="1.2" fill="#fff"/></pattern>'
            '<pattern id="h3" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern>'
            '</defs>')
    dq = f' data-q="{escape(desc_q)}"' if desc_q else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-labelledby="t d" {FONT}>\n<title id="t">{escape(title)}</title>\n<desc id="d"{dq}>{escape(desc)}</desc>\n'
            f'{defs}\n<rect width="{width}" height="{height}" fill="#fff"/>\n' + "\n".join(body) + "\n</svg>\n")


def level_bars(title: str, levels: Sequence[dict[str, Any]], note: str) -> str:
    """One bar per evidence level of a synthesis question (k of n, in its own unit); the figure text carries the
    synthesis id (data-q), so the site's figure check can tell it from a page's own count."""
    label_w, bar_w, row_h = 300, 220, 34
    note_svg, n_lines = _note(10, 0, note)
    height = 60 + len(levels) * row_h + 20 + 15 * n_lines
    body = [f'<text x="10" y="22" font-weight="bold">{escape(title)}</text>']
    y, desc = 40, []
    for lv in levels:
        label = f"{lv['level_label']}: {lv['statement']}"
        label = label if len(label) <= 48 else label[:47].rsplit(" ", 1)[0] + "\u2026"
        k, n = lv.get("k"), lv.get("n")
        w = round(bar_w * k / n) if isinstance(k, (int, float)) and isinstance(n, (int, float)) and n else 0
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 14}" fill="none" stroke="#757575"/>')
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 14}" fill="{PALETTE[1]}"/>')
        body.append(f'<text x="{label_w + 4}" y="{y + 30}" font-size="11" data-q="{escape(lv["id"])}">'
                    f'{escape(lv["text"])} {escape(lv["unit"])}</text>')
        desc.append(f"{label}: {lv['text']} {lv['unit']}")
        y += row_h
    body.append(_note(10, y + 20, note)[0])
    return _svg(label_w + bar_w + 60, height, title, "; ".join(desc), body, desc_q=",".join(lv["id"] for lv in levels))


def grouped_bars(title: str, groups: list[tuple[str, int]], series: list[tuple[str, list[int], int]], note: str) -> str:
    """series: (name, counts per group, denominator). Horizontal bars, one row per (group, series)."""
    label_w, bar_w, row_h = 190, 330, 22
    rows = len(groups) * len(series)
    note_svg, n_lines = _note(10, 0, note)
    height = 60 + rows * row_h + len(groups) * 8 + 20 + 15 * n_lines
    body = [f'<text x="10" y="22" font-weight="bold">{escape(title)}</text>']
    y = 40
    desc = []
    for gi, (group, _) in enumerate(groups):
        for si, (name, counts, denom) in enumerate(series):
            n = counts[gi]
            w = 0 if denom == 0 else round(bar_w * n / denom)
            lab = group if si == 0 else ""
            body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(lab)}</text>')
            body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="{PALETTE[si * 5 % len(PALETTE)]}" '
                        + ('' if si == 0 else 'fill-opacity="0.55"') + '/>')
            body.append(f'<text x="{label_w + w + 6}" y="{y + 15}">{escape(name)}: {n} of {denom}</text>')
            desc.append(f"{group}, {name}: {n} of {denom}")
            y += row_h
        y += 8
    body.append(_note(10, height - 10 - 15 * (n_lines - 1), note)[0])
    return _svg(label_w + bar_w + 200, height, title, "; ".join(desc) + ". " + note, body)


def stacked_bars(title: str, rows: list[tuple[str, list[int]]], categories: list[str], note: str) -> str:
    """One horizontal stacked bar per row; every segment labelled with its count; legend with patterns."""
    label_w, unit, row_h = 150, 34, 26
    max_total = max((sum(c) for _, c in rows), default=1) or 1
    unit = min(unit, 420 // max_total)
    n_lines = _note(10, 0, note)[1]
    height = 50 + len(rows) * row_h + 30 + 22 * ((len(categories) + 3) // 4) + 15 + 15 * n_lines
    body = [f'<text x="10" y="22" font-weight="bold">{escape(title)}</text>']
    y = 36
    desc = []
    for name, counts in rows:
        body.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>')
        x = label_w
        parts = []
        for ci, n in enumerate(counts):
            if not n:
                continue
            w = n * unit
            body.append(f'<rect x="{x}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="{PALETTE[ci % len(PALETTE)]}" stroke="#fff"/>')
            if HATCH[ci % len(HATCH)]:
                body.append(f'<rect x="{x}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="{HATCH[ci % len(HATCH)]}"/>')
            body.append(f'<text x="{x + w / 2}" y="{y + 17}" text-anchor="middle" fill="#fff" font-weight="bold" stroke="#000" stroke-width="3" paint-order="stroke">{n}</text>')
            parts.append(f"{categories[ci]} {n}")
            x += w
        body.append(f'<text x="{x + 6}" y="{y + 17}">n = {sum(counts)}</text>')
        desc.append(f"{name}: " + ", ".join(parts))
        y += row_h
    y += 14
    for ci, cat in enumerate(categories):
        lx = 10 + (ci % 4) * 175
        ly = y + (ci // 4) * 22
        body.append(f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{PALETTE[ci % len(PALETTE)]}"/>')
        if HATCH[ci % len(HATCH)]:
            body.append(f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{HATCH[ci % len(HATCH)]}"/>')
        body.append(f'<text x="{lx + 20}" y="{ly + 12}">{escape(cat)}</text>')
    body.append(_note(10, height - 10 - 15 * (n_lines - 1), note)[0])
    return _svg(label_w + max_total * unit + 200 if label_w + max_total * unit + 200 > 720 else 720, height, title,
                "; ".join(desc) + ". " + note, body)


def dot_plot(title: str, values: list[float], lo: int, hi: int, note: str) -> str:
    width, left, right = 720, 40, 40
    span = max(hi - lo, 1)
    height = 130
    body = [f'<text x="10" y="22" font-weight="bold">{escape(title)}</text>',
            f'<line x1="{left}" y1="80" x2="{width - right}" y2="80" stroke="#333"/>']
    for tick in range(lo, hi + 1, 10):
        x = left + (tick - lo) / span * (width - left - right)
        body.append(f'<line x1="{x:.1f}" y1="76" x2="{x:.1f}" y2="84" stroke="#333"/><text x="{x:.1f}" y="100" text-anchor="middle">{tick}</text>')
    seen: dict[float, int] = {}
    for v in sorted(values):
        k = seen.get(v, 0)
        seen[v] = k + 1
        x = left + (v - lo) / span * (width - left - right)
        body.append(f'<circle cx="{x:.1f}" cy="{66 - 12 * k}" r="5" fill="#1b5e20"/>')
        body.append(f'<text x="{x:.1f}" y="{52 - 12 * k}" text-anchor="middle" font-size="11">{v:g}</text>')
    body.append(_note(10, height - 8, note)[0])
    desc = "Values: " + ", ".join(f"{v:g}" for v in sorted(values)) + ". " + note
    return _svg(width, height, title, desc, body)


def build_charts(cases: Sequence[Any], tables: Any, vocab: Any, survey_rows: Sequence[dict[str, Any]],
                 outcome_question: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The site's charts: (file, title, alt text, caption, table link)."""
    charts = []
    lit = tables.complaint_rows
    # Region by region; the foot or ankle as a whole is a question of the evidence synthesis (synthesis.md#foot-ankle).
    groups = [("toes", {"toes"}), ("foot", {"foot"}), ("ankle", {"ankle"}), ("lower leg", {"lower-leg"}), ("knee", {"knee"}),
              ("hip or thigh", {"hip", "thigh"}), ("no region coded", set())]

    def count(rows: Sequence[dict[str, Any]], regions: set[str]) -> int:
        if not regions:
            return sum(1 for r in rows if not r["regions"])
        return sum(1 for r in rows if regions & set(r["regions"]))

    series = [("literature", [count(lit, g) for _, g in groups], len(lit))]
    if survey_rows:
        series.append(("survey", [count(survey_rows, g) for _, g in groups], len(survey_rows)))
    note = (f"Denominators: {len(lit)} literature complaint rows, {len(survey_rows)} survey complaints. "
            "A complaint can involve several regions. Regions are coded from the wording.")
    charts.append({"file": "charts/complaint-regions.svg", "title": "Body regions named in main complaints",
                   "svg": grouped_bars("Body regions named in main complaints", [(g, 0) for g, _ in groups], series, note),
                   "caption": note, "table": "complaints.md"})
    responses = list(vocab["responses"])
    labels = [vocab["responses"][r].split(" (")[0] for r in responses]
    rows = [(a["name"], [dict((r[0], r[2]) for r in a["distribution"]).get(resp, 0) for resp in responses])
            for a in tables.agents if a["n_rows"]]
    nr = sum(1 for r in tables.treatment_rows if r["response"] == "not-reported")
    note = (f"{len(tables.treatment_rows)} regimens (rows of the review's drug table); a combination counts once per agent; "
            f"'not reported' responses are shown ({nr} rows), never dropped.")
    charts.append({"file": "charts/responses-by-agent.svg", "title": "Response by agent",
                   "svg": stacked_bars("Response by agent (regimens of the review's drug table)", rows, labels, note),
                   "caption": note, "table": "treatments.md"})
    onsets = [c.age_onset for c in cases if c.age_onset is not None]
    note = f"Age at onset known for {len(onsets)} of {len(cases)} cases; not reported for {len(cases) - len(onsets)}."
    charts.append({"file": "charts/age-at-onset.svg", "title": "Age at onset where known",
                   "svg": dot_plot("Age at onset (years), literature cases where known", onsets, 10, 80, note),
                   "caption": note, "table": "cases/index.md"})
    if outcome_question is not None:
        lv = outcome_question["levels"]
        note = ("Each bar is one kind of evidence from the evidence synthesis, in its own unit and group of patients; "
                "they are never added together. Figures without a denominator are written, not drawn.")
        charts.append({"file": "charts/outcomes.svg", "title": outcome_question["label"],
                       "svg": level_bars(outcome_question["label"], lv, note), "caption": note, "table": "synthesis.md"})
    return charts


@dataclass(frozen=True)
class ChartsView:
    charts: tuple[dict[str, Any], ...]


def derive(ds: Dataset, views: Views) -> ChartsView:
    synthesis = views.view(question.KIND)
    return ChartsView(tuple(build_charts(views.view(case.KIND).cases, views.view(table.KIND), views.vocab,
                                         views.view(survey.KIND).rows, synthesis.by_id.get("outcome"))))


def pages(ctx: Context) -> list[PagePlan]:
    rels = claim.base_records(ctx)
    return [PagePlan("charts.md", "charts.md.j2", {"charts": list(ctx.view(KIND).charts), "records": rels, "changed": ctx.newest(rels)},
                     Nav("Charts", "Charts", "complaint regions, responses by agent, age at onset, outcomes"), since="0.1")]


def svg_files(ctx: Context) -> list[OutFile]:
    return [OutFile(ch["file"], "text", ch["svg"]) for ch in ctx.view(KIND).charts]


KIND: Kind[ChartsView] = Kind(name="charts", derive=derive, pages=pages, files=svg_files, description="static SVG charts drawn at build time")
