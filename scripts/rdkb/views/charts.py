"""Static SVG charts computed at build time (no charting library in the browser).

Every chart states its denominator and its missing-data count, carries a <title>/<desc> text
alternative, and labels every bar with its number, so colour never carries meaning alone. Every
legend entry has its own colour AND its own pattern (a test compares every legend's swatches), and
"not reported" is always grey. Each chart is drawn twice: wide (the download, the desktop page) and
narrow (phones; drawn for a 360 px column so its text stays about 13 px high). On the pages the SVG
is inlined and its text and background follow the site's colour scheme (classes kb-fg / kb-bg).
Pure functions: data in, SVG text out.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

from rdkb.kinds import case, claim, question, survey, table
from rdkb.kinds.base import Context, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset

# (fill, pattern): every entry of a legend takes the next one, so no two entries share a colour or a pattern.
# The response grades run from dark green (marked) to red (none); the last two are the source's ungraded wordings.
SWATCHES: tuple[tuple[str, str], ...] = (
    ("#1b5e20", "solid"), ("#43a047", "diag"), ("#c0ca33", "dots"), ("#fdd835", "horiz"), ("#fb8c00", "cross"),
    ("#c62828", "vert"), ("#6a1b9a", "rdiag"), ("#1565c0", "grid"), ("#00838f", "zigzag"),
)
NOT_REPORTED: tuple[str, str] = ("#9e9e9e", "sparse")
NOT_REPORTED_LABELS = frozenset({"not reported", "no region coded"})
# Light fills get dark pattern ink, dark fills light ink.
_LIGHT = frozenset({"#c0ca33", "#fdd835", "#fb8c00", "#9e9e9e"})
_PATTERNS = {
    "diag": ('patternTransform="rotate(45)"', '<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="2"/>'),
    "rdiag": ('patternTransform="rotate(-45)"', '<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="2"/>'),
    "dots": ("", '<circle cx="3" cy="3" r="1.3" fill="{ink}"/>'),
    "horiz": ("", '<line x1="0" y1="3" x2="6" y2="3" stroke="{ink}" stroke-width="1.5"/>'),
    "vert": ("", '<line x1="3" y1="0" x2="3" y2="6" stroke="{ink}" stroke-width="1.5"/>'),
    "cross": ('patternTransform="rotate(45)"', '<path d="M0 3H6M3 0V6" stroke="{ink}" stroke-width="1.2"/>'),
    "grid": ("", '<path d="M0 0.5H6M0.5 0V6" stroke="{ink}" stroke-width="1"/>'),
    "zigzag": ("", '<path d="M0 4L1.5 2L3 4L4.5 2L6 4" fill="none" stroke="{ink}" stroke-width="1"/>'),
    "sparse": ("", '<circle cx="1.5" cy="1.5" r="0.9" fill="{ink}"/>'),
}
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def swatch(index: int, label: str) -> tuple[str, str]:
    """The (fill, pattern) of a legend's index-th entry; "not reported" is grey whatever its place."""
    if label.strip().lower() in NOT_REPORTED_LABELS:
        return NOT_REPORTED
    return SWATCHES[index % len(SWATCHES)]


def _ink(fill: str) -> str:
    return "#000" if fill in _LIGHT else "#fff"


def _defs(uid: str) -> str:
    out = []
    for fill, pat in (*SWATCHES, NOT_REPORTED):
        if pat == "solid":
            continue
        attr, shape = _PATTERNS[pat]
        out.append(f'<pattern id="{uid}-{pat}" width="6" height="6" patternUnits="userSpaceOnUse" {attr}>'
                   f'{shape.format(ink=_ink(fill))}</pattern>')
    return "<defs>" + "".join(out) + "</defs>"


def _rect(uid: str, x: float, y: float, w: float, h: float, sw: tuple[str, str], extra: str = "") -> str:
    fill, pat = sw
    out = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"{extra}/>'
    if pat != "solid":
        out += f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#{uid}-{pat})" opacity="0.6"/>'
    return out


def _legend(uid: str, entries: list[tuple[str, tuple[str, str]]], x0: int, y0: int, col_w: int, cols: int) -> str:
    out = []
    for i, (label, sw) in enumerate(entries):
        lx, ly = x0 + (i % cols) * col_w, y0 + (i // cols) * 22
        out.append(f'<g class="kb-legend-entry" data-label="{escape(label)}" data-fill="{sw[0]}" data-pattern="{sw[1]}">'
                   + _rect(uid, lx, ly, 16, 16, sw, ' stroke="#777"')
                   + f'<text class="kb-fg" x="{lx + 22}" y="{ly + 13}">{escape(label)}</text></g>')
    return "".join(out)


def _note(x: int, y: int, text: str, width: int = 95) -> tuple[str, int]:
    """Wrapped note lines; returns the SVG and the number of lines."""
    lines = textwrap.wrap(text, width)
    spans = "".join(f'<tspan x="{x}" dy="{0 if i == 0 else 15}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text class="kb-fg" x="{x}" y="{y}" font-size="12">{spans}</text>', len(lines)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], uid: str = "c", desc_q: str = "") -> str:
    """desc_q: the synthesis ids of the figures the text alternative repeats (the site's figure check reads it)."""
    dq = f' data-qs="{escape(desc_q)}"' if desc_q else ""  # several synthesis figures: data-qs, not data-q
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-labelledby="{uid}-t {uid}-d" {FONT}>\n<title id="{uid}-t">{escape(title)}</title>\n'
            f'<desc id="{uid}-d"{dq}>{escape(desc)}</desc>\n{_defs(uid)}\n'
            f'<rect class="kb-bg" width="{width}" height="{height}" fill="#fff"/>\n<g fill="#000">' + "\n".join(body) + "</g>\n</svg>\n")


def _title(title: str, width: int) -> tuple[str, int]:
    lines = textwrap.wrap(title, max(20, width // 8))
    spans = "".join(f'<tspan x="10" dy="{0 if i == 0 else 17}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text class="kb-fg" x="10" y="22" font-weight="bold">{spans}</text>', 17 * (len(lines) - 1)



def level_bars(title: str, levels: Sequence[dict[str, Any]], note: str, narrow: bool = False, uid: str = "c") -> str:
    """One bar per evidence level of a synthesis question (k of n, in its own unit and group); each figure's text
    carries its synthesis id (data-q), so the site's figure check can tell it from a page's own count.

    Narrow: the level's label on its own line above its bar."""
    label_w, bar_w, row_h = (10, 260, 44) if narrow else (300, 220, 34)
    width = 360 if narrow else label_w + bar_w + 60
    wrap = 44 if narrow else 95
    n_lines = _note(10, 0, note, wrap)[1]
    title_svg, title_h = _title(title, width)
    body, desc = [title_svg], []
    y = 40 + title_h
    for lv in levels:
        label = f"{lv['level_label']}: {lv.get('short') or lv['statement']}"
        label = label if len(label) <= 48 else label[:47].rsplit(" ", 1)[0] + "\u2026"
        k, n = lv.get("k"), lv.get("n")
        w = round(bar_w * k / n) if isinstance(k, (int, float)) and isinstance(n, (int, float)) and n else 0
        if narrow:
            body.append(f'<text class="kb-fg" x="10" y="{y + 12}" font-size="12">{escape(label)}</text>')
            y += 16
        else:
            body.append(f'<text class="kb-fg" x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 30 if narrow else row_h - 14}" fill="none" '
                    'stroke="#757575"/>')
        body.append(_rect(uid, label_w, y + 3, w, row_h - 30 if narrow else row_h - 14, SWATCHES[0]))
        ty = y + (28 if narrow else 30)
        body.append(f'<text class="kb-fg" x="{label_w + 4}" y="{ty}" font-size="11"><tspan data-q="{escape(lv["id"])}">'
                    f'{escape(lv["text"])}</tspan> {escape(lv["unit"])}</text>')
        desc.append(f"{label}: {lv['text']} {lv['unit']}")
        y += row_h
    body.append(_note(10, y + 20, note, wrap)[0])
    height = y + 30 + 15 * n_lines
    return _svg(width, height, title, "; ".join(desc), body, uid, desc_q=",".join(lv["id"] for lv in levels))

def grouped_bars(title: str, groups: list[tuple[str, int]], series: list[tuple[str, list[int], int]], note: str,
                 narrow: bool = False, uid: str = "c") -> str:
    """series: (name, counts per group, denominator). Horizontal bars, one row per (group, series).

    Narrow: the group's name on its own line above its bars."""
    label_w, bar_w, row_h = (0, 200, 22) if narrow else (190, 330, 22)
    width = 360 if narrow else label_w + bar_w + 200
    wrap = 44 if narrow else 95
    note_svg, n_lines = _note(10, 0, note, wrap)
    title_svg, title_h = _title(title, width)
    entries = [(name, swatch(si, name)) for si, (name, _, _) in enumerate(series)]
    if any(g.strip().lower() in NOT_REPORTED_LABELS for g, _ in groups):
        entries.append(("not reported", NOT_REPORTED))
    rows = len(groups) * len(series)
    y = 40 + title_h
    body = [title_svg]
    desc = []
    for gi, (group, _) in enumerate(groups):
        if narrow:
            body.append(f'<text class="kb-fg" x="10" y="{y + 14}" font-weight="bold">{escape(group)}</text>')
            y += 20
        for si, (name, counts, denom) in enumerate(series):
            n = counts[gi]
            w = 0 if denom == 0 else round(bar_w * n / denom)
            sw = NOT_REPORTED if group.strip().lower() in NOT_REPORTED_LABELS else swatch(si, name)
            x0 = 10 if narrow else label_w
            if not narrow:
                lab = group if si == 0 else ""
                body.append(f'<text class="kb-fg" x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(lab)}</text>')
            body.append(_rect(uid, x0, y + 3, w, row_h - 6, sw))
            body.append(f'<text class="kb-fg" x="{x0 + w + 6}" y="{y + 15}">{escape(name)}: {n} of {denom}</text>')
            desc.append(f"{group}, {name}: {n} of {denom}")
            y += row_h
        y += 8
    y += 10
    cols = 1 if narrow else 4
    body.append(_legend(uid, entries, 10, y, 175, cols))
    y += 22 * ((len(entries) + cols - 1) // cols) + 10
    height = y + 15 * n_lines + 5
    del rows
    body.append(_note(10, y + 8, note, wrap)[0])
    return _svg(width, height, title, "; ".join(desc) + ". " + note, body, uid)


def stacked_bars(title: str, rows: list[tuple[str, list[int]]], categories: list[str], note: str,
                 narrow: bool = False, uid: str = "c") -> str:
    """One horizontal stacked bar per row; every segment labelled with its count; a legend of colours and patterns.

    Narrow: the row's name on its own line above its bar."""
    max_total = max((sum(c) for _, c in rows), default=1) or 1
    if narrow:
        label_w, row_h, width = 10, 26, 360
        unit = min(34, 290 // max_total)
    else:
        label_w, row_h = 150, 26
        unit = min(34, 420 // max_total)
        width = max(720, label_w + max_total * unit + 200)
    wrap = 44 if narrow else 95
    n_lines = _note(10, 0, note, wrap)[1]
    title_svg, title_h = _title(title, width)
    sws = [swatch(ci, cat) for ci, cat in enumerate(categories)]
    body = [title_svg]
    y = 36 + title_h
    desc = []
    for name, counts in rows:
        if narrow:
            body.append(f'<text class="kb-fg" x="10" y="{y + 14}">{escape(name)}</text>')
            y += 18
        else:
            body.append(f'<text class="kb-fg" x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>')
        x = label_w
        parts = []
        for ci, n in enumerate(counts):
            if not n:
                continue
            w = n * unit
            body.append(_rect(uid, x, y + 4, w, row_h - 8, sws[ci], ' stroke="#fff"'))
            body.append(f'<text x="{x + w / 2}" y="{y + 17}" text-anchor="middle" fill="#fff" font-weight="bold" '
                        f'stroke="#000" stroke-width="3" paint-order="stroke">{n}</text>')
            parts.append(f"{categories[ci]} {n}")
            x += w
        body.append(f'<text class="kb-fg" x="{x + 6}" y="{y + 17}">n = {sum(counts)}</text>')
        desc.append(f"{name}: " + ", ".join(parts))
        y += row_h
    y += 14
    cols = 2 if narrow else 4
    col_w = 170 if narrow else 175
    body.append(_legend(uid, list(zip(categories, sws, strict=True)), 10, y, col_w, cols))
    y += 22 * ((len(categories) + cols - 1) // cols) + 10
    height = y + 15 * n_lines + 5
    body.append(_note(10, y + 8, note, wrap)[0])
    return _svg(width, height, title, "; ".join(desc) + ". " + note, body, uid)


def dot_plot(title: str, values: list[float], lo: int, hi: int, note: str, narrow: bool = False, uid: str = "c") -> str:
    width, left, right = (360, 20, 20) if narrow else (720, 40, 40)
    wrap = 44 if narrow else 95
    span = max(hi - lo, 1)
    note_svg, n_lines = _note(10, 0, note, wrap)
    title_svg, title_h = _title(title, width)
    base = 80 + title_h
    height = base + 35 + 15 * n_lines
    body = [title_svg, f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#777"/>']
    for tick in range(lo, hi + 1, 10):
        x = left + (tick - lo) / span * (width - left - right)
        body.append(f'<line x1="{x:.1f}" y1="{base - 4}" x2="{x:.1f}" y2="{base + 4}" stroke="#777"/>'
                    f'<text class="kb-fg" x="{x:.1f}" y="{base + 20}" text-anchor="middle">{tick}</text>')
    seen: dict[float, int] = {}
    for v in sorted(values):
        k = seen.get(v, 0)
        seen[v] = k + 1
        x = left + (v - lo) / span * (width - left - right)
        body.append(f'<circle cx="{x:.1f}" cy="{base - 14 - 12 * k}" r="5" fill="#2e7d32"/>')
        body.append(f'<text class="kb-fg" x="{x:.1f}" y="{base - 28 - 12 * k}" text-anchor="middle" font-size="11">{v:g}</text>')
    body.append(_note(10, base + 40, note, wrap)[0])
    desc = "Values: " + ", ".join(f"{v:g}" for v in sorted(values)) + ". " + note
    return _svg(width, height, title, desc, body, uid)


def legend_swatches(svg: str) -> list[tuple[str, str, str]]:
    """(label, fill, pattern) of every legend entry of a chart, in order (for the tests)."""
    return re.findall(r'<g class="kb-legend-entry" data-label="([^"]*)" data-fill="([^"]*)" data-pattern="([^"]*)">', svg)


def _both(draw: Any, uid: str, *args: Any) -> dict[str, Any]:
    """The wide SVG (the file) and both drawings as inline markup for the pages: the SVG is this module's own
    markup, every record value in it escaped above."""
    wide, narrow = draw(*args, uid=uid), draw(*args, narrow=True, uid=uid + "-n")
    return {"svg": wide, "narrow": narrow, "inline": Markup(wide), "inline_narrow": Markup(narrow)}


def build_charts(cases: Sequence[Any], tables: Any, vocab: Any, survey_rows: Sequence[dict[str, Any]],
                 outcome_question: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The site's charts: (file, title, wide and narrow SVG, caption, table link)."""
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
    title = "Body regions named in main complaints"
    charts.append({"file": "charts/complaint-regions.svg", "title": title,
                   **_both(grouped_bars, "ch-regions", title, [(g, 0) for g, _ in groups], series, note),
                   "caption": note, "table": "complaints.md"})
    responses = list(vocab["responses"])
    labels = [vocab["responses"][r].split(" (")[0] for r in responses]
    rows = [(a["name"], [dict((r[0], r[2]) for r in a["distribution"]).get(resp, 0) for resp in responses])
            for a in tables.agents if a["n_rows"]]
    nr = sum(1 for r in tables.treatment_rows if r["response"] == "not-reported")
    note = (f"{len(tables.treatment_rows)} regimens (rows of the review's drug table); a combination counts once per agent; "
            f"'not reported' responses are shown in grey ({nr} rows), never dropped.")
    charts.append({"file": "charts/responses-by-agent.svg", "title": "Response by agent",
                   **_both(stacked_bars, "ch-responses", "Response by agent (regimens of the review's drug table)", rows, labels, note),
                   "caption": note, "table": "treatments.md"})
    onsets = [c.age_onset for c in cases if c.age_onset is not None]
    note = f"Age at onset known for {len(onsets)} of {len(cases)} cases; not reported for {len(cases) - len(onsets)}."
    charts.append({"file": "charts/age-at-onset.svg", "title": "Age at onset where known",
                   **_both(dot_plot, "ch-onset", "Age at onset (years), literature cases where known", onsets, 10, 80, note),
                   "caption": note, "table": "cases/index.md"})
    if outcome_question is not None:
        note = ("Each bar is one kind of evidence from the evidence synthesis, in its own unit and group of patients; "
                "they are never added together. Figures without a denominator are written, not drawn.")
        charts.append({"file": "charts/outcomes.svg", "title": outcome_question["label"],
                       **_both(level_bars, "ch-outcomes", outcome_question["label"], outcome_question["levels"], note),
                       "caption": note, "table": "synthesis.md"})
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
