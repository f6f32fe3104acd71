"""Small inline SVG charts for the HTML report: bars, lines over time, stacked bars, sparklines.

Hand-made rather than drawn by a plotting library: four simple shapes need no dependency, the
text stays real text in the page's own font, and the charts scale with the page. Every piece of
text goes through markupsafe, so a name can never become markup. No `xmlns` and no links: the
charts live inside the HTML page and refer to nothing outside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .palette import score_color

INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    # An earlier value shown as a tick on the bar (a month ago), or None.
    marker: float | None = None
    color: str | None = None
    # In-page link for the label, e.g. "#school-lincoln-es".
    href: str | None = None


def _svg(width: float, height: float, body: list[Markup], label: str) -> Markup:
    # Drawn at its natural size; CSS only shrinks it (max-width) on a narrow screen.
    w, h = _n(width), _n(height)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'aria-label="{escape(label)}">{Markup("").join(body)}</svg>'
    )


def _n(value: float) -> str:
    """Coordinates with at most one decimal: short, exact enough. (Digits only: the shapes put
    them in as they are, and every piece of text through `escape`.)"""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "start") -> Markup:
    return Markup(
        f'<text x="{_n(x)}" y="{_n(y)}" class="{escape(cls)}" text-anchor="{escape(anchor)}">'
        f"{escape(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, color: str, width: float = 1) -> Markup:
    return Markup(
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{escape(color)}" '
        f'stroke-width="{_n(width)}"/>'
    )


def _rect(x: float, y: float, w: float, h: float, color: str, title: str = "") -> Markup:
    tip = f"<title>{escape(title)}</title>" if title else ""
    return Markup(
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(h)}" '
        f'fill="{escape(color)}" rx="2">{tip}</rect>'
    )


def bar_chart(bars: Sequence[Bar], *, maximum: float = 100, unit: str = "%") -> Markup:
    """Horizontal bars, one per row, labelled on the left and valued on the right."""
    label_width, bar_width = 200, 270
    row = 26 if len(bars) <= 30 else 18
    top, width = 24, label_width + bar_width + 50
    height = top + row * len(bars) + 8
    body = []
    for tick in range(0, int(maximum) + 1, int(maximum) // 4 or 1):
        x = label_width + bar_width * tick / maximum
        body.append(_line(x, top - 6, x, height - 8, GRID))
        body.append(_text(x, top - 10, f"{tick}{unit}", "axis", "middle"))
    for index, bar in enumerate(bars):
        y = top + index * row
        length = bar_width * min(bar.value, maximum) / maximum
        color = bar.color or "#" + score_color(int(bar.value))
        middle = y + row / 2 + 4
        label = _text(label_width - 10, middle, _clip(bar.label, 27), "label", "end")
        if bar.href:
            label = Markup(f'<a href="{escape(bar.href)}">{label}</a>')
        body.append(label)
        body.append(
            _rect(label_width, y + 5, length, row - 10, color, f"{bar.label}: {bar.value:g}{unit}")
        )
        end = label_width + length
        if bar.marker is not None:
            x = label_width + bar_width * min(bar.marker, maximum) / maximum
            body.append(_line(x, y + 2, x, y + row - 2, INK, 2))
            end = max(end, x)
        body.append(_text(end + 6, middle, f"{bar.value:g}{unit}", "value"))
    return _svg(width, height, body, "Bar chart")


def line_chart(
    lines: dict[str, Sequence[tuple[dt.date, float]]],
    highlight: tuple[str, Sequence[tuple[dt.date, float]]],
    *,
    maximum: float = 100,
) -> Markup:
    """Values over time: a faint line per name and one bold line (the district average)."""
    left, right, top, bottom = 44, 100, 16, 36
    plot_w, plot_h = 360, 240
    width, height = left + plot_w + right, top + plot_h + bottom
    days = sorted({day for points in [*lines.values(), highlight[1]] for day, _ in points})
    if not days:
        return Markup("")
    first, span = days[0], max((days[-1] - days[0]).days, 1)

    def x(day: dt.date) -> float:
        if len(days) == 1:
            return left + plot_w / 2
        return left + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - min(value, maximum) / maximum)

    body = []
    for tick in range(0, int(maximum) + 1, 25):
        body.append(_line(left, y(tick), left + plot_w, y(tick), GRID))
        body.append(_text(left - 8, y(tick) + 4, f"{tick}%", "axis", "end"))
    step = max(1, len(days) // 8)
    for day in days[::step]:
        body.append(_text(x(day), top + plot_h + 20, f"{day:%b} {day.day}", "axis", "middle"))
    for name, points in lines.items():
        body.append(_path(points, x, y, "#b8c2cc", 1.2, name))
    name, points = highlight
    body.append(_path(points, x, y, "#1F3864", 3, name))
    for day, value in points:
        tip = escape(f"{name}, {day:%b} {day.day}: {value:.0f}%")
        body.append(
            Markup(
                f'<circle cx="{_n(x(day))}" cy="{_n(y(value))}" r="4" fill="#1F3864">'
                f"<title>{tip}</title></circle>"
            )
        )
    if points:
        day, value = points[-1]
        body.append(_text(x(day) + 10, y(value) - 2, f"{value:.0f}%", "value"))
        body.append(_text(x(day) + 10, y(value) + 12, name.split()[0].lower(), "axis"))
    return _svg(width, height, body, "Line chart of completeness over time")


def _path(points, x, y, color: str, width: float, title: str) -> Markup:
    if len(points) < 2:
        return Markup("")
    d = " ".join(
        f"{'M' if index == 0 else 'L'}{_n(x(day))},{_n(y(value))}"
        for index, (day, value) in enumerate(points)
    )
    return Markup(
        f'<path d="{d}" fill="none" stroke="{escape(color)}" stroke-width="{_n(width)}" '
        f'stroke-linejoin="round"><title>{escape(title)}</title></path>'
    )


def stacked_bars(
    groups: Sequence[tuple[str, Sequence[tuple[str, Sequence[tuple[str, int]]]]]],
    colors: dict[str, str],
) -> Markup:
    """Groups (a cycle) of bars (a focus), each bar split by status; a legend on top."""
    label_width, bar_width, row, heading = 190, 800, 26, 30
    width = label_width + bar_width + 50
    most = max(
        (sum(count for _, count in parts) for _, bars in groups for _, parts in bars), default=0
    )
    body, cursor = [], 0
    legend_x = 0.0
    for status, color in colors.items():
        body.append(_rect(legend_x, 4, 12, 12, color))
        body.append(_text(legend_x + 17, 14, status, "legend"))
        legend_x += 30 + 7.5 * len(status)
    cursor = 34
    for group, bars in groups:
        body.append(_text(0, cursor + 18, group, "group"))
        cursor += heading
        for label, parts in bars:
            body.append(_text(label_width - 10, cursor + 17, label, "label", "end"))
            x: float = label_width
            total = sum(count for _, count in parts)
            for status, count in parts:
                if not count:
                    continue
                length = bar_width * count / most if most else 0
                body.append(
                    _rect(
                        x,
                        cursor + 4,
                        length,
                        row - 8,
                        colors.get(status, "#9e9e9e"),
                        f"{label}: {count} {status}",
                    )
                )
                if length >= 18:
                    body.append(_text(x + length / 2, cursor + 17, str(count), "inbar", "middle"))
                x += length
            body.append(_text(x + 6, cursor + 17, f"{total}" if total else "none", "value"))
            cursor += row
        cursor += 6
    return _svg(width, cursor + 4, body, "Benchmark status by cycle and focus")


def sparkline(points: Sequence[tuple[dt.date, float]], *, least_span: float = 10) -> Markup:
    """A tiny line of a school's completeness over the recorded nights, scaled to its own range
    (at least `least_span` points tall) so that a move of a few points shows."""
    width, height, pad = 90, 22, 3
    if len(points) < 2:
        return Markup("")
    first, span = points[0][0], max((points[-1][0] - points[0][0]).days, 1)
    values = [value for _, value in points]
    top = max(values)
    bottom = min(min(values), top - least_span)

    def x(day: dt.date) -> float:
        return pad + (width - 2 * pad) * (day - first).days / span

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (top - value) / (top - bottom)

    day, value = points[-1]
    body = [
        _path(points, x, y, "#1F3864", 1.6, "completeness over time"),
        Markup(f'<circle cx="{_n(x(day))}" cy="{_n(y(value))}" r="2.4" fill="#1F3864"/>'),
    ]
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="trend">{Markup("").join(body)}</svg>'
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
