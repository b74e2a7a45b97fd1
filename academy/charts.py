"""Small SVG charts drawn on the server: no script, no network, printable, each with a text alternative.

Colours come from presentation attributes (the CSP refuses inline styles) and are told apart by shape and
dash as well as by colour.
"""

from datetime import date

from markupsafe import Markup

INK, PLAN, ACTUAL, FORECAST, GRID = "#1b2430", "#6b7685", "#1d4e89", "#b26a00", "#d9dee5"
TRACK = "#e3e7ed"  # the empty part of a bar


def _points(coords) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


def sparkline(values: list[int], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A line of weekly values; the label says what it shows in words."""
    top = max(values + [1])
    step = width / max(len(values) - 1, 1)
    coords = [(i * step, height - 2 - (v / top) * (height - 4)) for i, v in enumerate(values)]
    return Markup(
        '<svg class="sparkline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">'
        '<title>{label}</title><polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"/></svg>'
    ).format(w=width, h=height, label=label, c=ACTUAL, pts=_points(coords))


def burn_up_chart(
    actual: list[tuple[date, int]], planned: list[tuple[date, int]], total: int, forecast: date | None, *, title: str
) -> Markup:
    """Completed modules over time against the plan, with the forecast to the finish as a dashed line."""
    width, height, left, right, top, bottom = 720, 280, 56, 20, 16, 36
    start = planned[0][0] if planned else date.today()
    plan_end = max([d for d, _ in planned] + [start])
    last_actual = max([d for d, _ in actual] + [plan_end])
    # a forecast far past the plan would squash the chart: show at most half the plan's length beyond its end
    end = max(last_actual, min(forecast, plan_end + (plan_end - start) / 2)) if forecast else last_actual
    span = max((end - start).days, 1)
    ceiling = max(total, 1)

    def x(d: date) -> float:
        return left + (d - start).days / span * (width - left - right)

    def y(n: float) -> float:
        return height - bottom - n / ceiling * (height - top - bottom)

    parts = [  # axis labels are 11 units high; academy.css makes them 24 on a phone, where the chart is narrow
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="burnup-title burnup-desc">'
            '<title id="burnup-title">{t}</title>'
        ).format(w=width, h=height, t=title)
    ]
    done = actual[-1][1] if actual else 0
    desc = f"{done} of {total} module completions so far; the plan line reaches {total} on {plan_end:%d %b %Y}."
    if forecast:
        desc += f" At the current pace the cohort finishes around {forecast:%d %b %Y}."
    parts.append(Markup('<desc id="burnup-desc">{}</desc>').format(desc))
    for i in range(5):  # horizontal grid with labels
        n = ceiling * i / 4
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="{g}"/>'
                '<text x="{tx}" y="{y:.1f}" font-size="11" text-anchor="end" dominant-baseline="middle" '
                'fill="{ink}">{n}</text>'
            ).format(l=left, r=width - right, y=y(n), g=GRID, tx=left - 6, ink=INK, n=round(n))
        )
    for d, anchor in ((start, "start"), (start + (end - start) / 2, "middle"), (end, "end")):  # the x axis
        parts.append(
            Markup('<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="{a}" fill="{ink}">{d}</text>').format(
                x=x(d), y=height - bottom + 26, a=anchor, ink=INK, d=d.strftime("%d %b %y")
            )
        )
    parts.append(
        Markup('<polyline fill="none" stroke="{c}" stroke-width="2" stroke-dasharray="6 4" points="{p}"/>').format(
            c=PLAN, p=_points((x(d), y(n)) for d, n in planned)
        )
    )
    parts.append(
        Markup('<polyline fill="none" stroke="{c}" stroke-width="3" points="{p}"/>').format(
            c=ACTUAL, p=_points((x(d), y(n)) for d, n in actual)
        )
    )
    for d, n in actual:
        parts.append(Markup('<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>').format(x=x(d), y=y(n), c=ACTUAL))
    if forecast and actual:
        last_day, last_n = actual[-1]
        to_day, to_n = forecast, total
        if forecast > end:  # past the chart's edge: the same line, stopped at the edge
            to_day = end
            to_n = last_n + (total - last_n) * (end - last_day).days / max((forecast - last_day).days, 1)
        parts.append(
            Markup(
                '<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{c}" '
                'stroke-width="2" stroke-dasharray="2 4"/>'
            ).format(x1=x(last_day), y1=y(last_n), x2=x(to_day), y2=y(to_n), c=FORECAST)
        )
    parts.append(Markup("</svg>"))
    # the key below the drawing, in the page's own text: it wraps on a phone and keeps its size there
    parts.append(
        Markup(
            '<ul class="chart-key"><li><span class="key-line actual"></span>completed</li>'
            '<li><span class="key-line plan"></span>planned pace</li>'
            '<li><span class="key-line forecast"></span>forecast</li></ul>'
        )
    )
    return Markup("").join(parts)


def trend_chart(points: list[tuple[str, date, float | None]], *, title: str) -> Markup:
    """One pain point's average pain (0-100) round after round: a line with a dot and its value per round."""
    width, height, left, right, top, bottom = 480, 180, 40, 24, 16, 40
    known = [(label, day, v) for label, day, v in points if v is not None]
    inset = 28  # the first and last dots and their values clear the axis labels and the edge
    step = (width - left - right - 2 * inset) / max(len(known) - 1, 1)

    def y(v: float) -> float:
        return height - bottom - v / 100 * (height - top - bottom)

    coords = [(left + inset + i * step, y(v)) for i, (_, _, v) in enumerate(known)]
    desc = "; ".join(f"{label} ({day:%b %Y}): {v:.1f}" for label, day, v in known)
    parts = [
        Markup(
            '<svg class="chart trend" viewBox="0 0 {w} {h}" role="img" aria-label="{t}: {d}"><title>{t}</title>'
        ).format(w=width, h=height, t=title, d=desc)
    ]
    for v in (0, 50, 100):
        parts.append(
            Markup(
                '<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="{g}"/><text x="{tx}" y="{y:.1f}" '
                'font-size="11" text-anchor="end" dominant-baseline="middle" fill="{ink}">{v}</text>'
            ).format(l=left, r=width - right, y=y(v), g=GRID, tx=left - 6, ink=INK, v=v)
        )
    parts.append(
        Markup('<polyline fill="none" stroke="{c}" stroke-width="3" points="{p}"/>').format(c=ACTUAL, p=_points(coords))
    )
    for (x, yy), (_, day, v) in zip(coords, known, strict=True):
        parts.append(
            Markup(
                '<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}"/><text x="{x:.1f}" y="{ty:.1f}" font-size="11" '
                'text-anchor="middle" fill="{ink}">{v:.0f}</text><text x="{x:.1f}" y="{by}" font-size="11" '
                'text-anchor="middle" fill="{ink}">{d}</text>'
            ).format(x=x, y=yy, ty=yy - 9, c=ACTUAL, ink=INK, v=v, by=height - bottom + 22, d=day.strftime("%d %b %y"))
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def bar_chart(bars: list[tuple[str, int]], *, title: str, desc: str, chart_id: str) -> Markup:
    """One horizontal bar per row, its label and value above it: as many rows as there are, each readable on a
    phone (the labels sit over the bars, so academy.css's larger text still fits)."""
    width, row, bar = 720, 52, 16
    top = max([n for _, n in bars] + [1])
    parts = [
        Markup(
            '<svg class="chart bar-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>'
        ).format(w=width, h=row * max(len(bars), 1), id=chart_id, t=title, d=desc)
    ]
    for i, (label, n) in enumerate(bars):
        y = i * row
        parts.append(
            Markup(
                '<text x="0" y="{ty}" font-size="13" fill="{ink}">{label}: {n}</text>'
                '<rect x="0" y="{by}" width="{w}" height="{h}" rx="3" fill="{track}"/>'
            ).format(ty=y + 20, ink=INK, label=label, n=n, by=y + 29, w=width, h=bar, track=TRACK)
        )
        if n:  # at least a sliver, so that one of a hundred still shows
            parts.append(
                Markup('<rect x="0" y="{by}" width="{bw:.1f}" height="{h}" rx="3" fill="{c}"/>').format(
                    by=y + 29, bw=max(width * n / top, 4), h=bar, c=ACTUAL
                )
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def share_chart(points: list[tuple[date, float | None]], *, title: str, desc: str, chart_id: str) -> Markup:
    """A percentage (0-100) step after step, evenly spaced: a dot per step, the first and last dates under the
    axis and the last value beside its dot. Steps without a value (None) are left out of the line."""
    width, height, left, right, top, bottom = 720, 280, 84, 28, 36, 44
    step = (width - left - right) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(points) > 1 else (left + width - right) / 2

    def y(v: float) -> float:
        return height - bottom - v / 100 * (height - top - bottom)

    parts = [
        Markup(
            '<svg class="chart share-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>'
        ).format(w=width, h=height, id=chart_id, t=title, d=desc)
    ]
    for v in (0, 25, 50, 75, 100):
        parts.append(
            Markup('<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="{g}"/>').format(
                l=left, r=width - right, y=y(v), g=GRID
            )
        )
        if v % 50 == 0:
            parts.append(
                Markup(
                    '<text x="{tx}" y="{y:.1f}" font-size="11" text-anchor="end" dominant-baseline="middle" '
                    'fill="{ink}">{v} %</text>'
                ).format(tx=left - 8, y=y(v), ink=INK, v=v)
            )
    if points:
        ends = [(0, "start"), (len(points) - 1, "end")] if len(points) > 1 else [(0, "middle")]
        for i, anchor in ends:
            parts.append(
                Markup('<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="{a}" fill="{ink}">{d}</text>').format(
                    x=x(i), y=height - bottom + 30, a=anchor, ink=INK, d=points[i][0].strftime("%b %Y")
                )
            )
    known = [(x(i), y(v), v) for i, (_, v) in enumerate(points) if v is not None]
    parts.append(
        Markup('<polyline fill="none" stroke="{c}" stroke-width="3" points="{p}"/>').format(
            c=ACTUAL, p=_points((px, py) for px, py, _ in known)
        )
    )
    for px, py, _ in known:
        parts.append(Markup('<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{c}"/>').format(x=px, y=py, c=ACTUAL))
    if known:  # the latest figure, above its dot, kept inside the drawing
        px, py, v = known[-1]
        anchor = "end" if px > width - right - 40 else "middle"
        parts.append(
            Markup(
                '<text x="{x:.1f}" y="{y:.1f}" font-size="11" font-weight="700" text-anchor="{a}" fill="{ink}">'
                "{v:.0f} %</text>"
            ).format(x=min(px, width - 2), y=max(py - 12, 24), a=anchor, ink=INK, v=v)
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
