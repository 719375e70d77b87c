"""Small charts as inline SVG text: no plotting library, no script, printable.

Each function returns one ``<svg>`` element sized in CSS pixels. Colours come from one
qualitative palette (``PALETTE``) so a family keeps its colour across the charts of a page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "bars", "heatmap", "ranges", "scatter"]

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a")  # fmt: skip
FONT = 'font-family="sans-serif" font-size="11"'


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>'
            f"{escape(text)}</text>")  # fmt: skip


def bars(labels: Sequence[str], values: Sequence[float], label: str, width: int = 520) -> str:
    """Horizontal bars, one per label, with the value written at the end."""
    row, left = 18, 150
    height = row * len(labels) + 10
    top = max(values) if values and max(values) > 0 else 1.0
    body = []
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        w = (width - left - 70) * value / top
        body.append(_text(left - 6, y + 12, str(name)[:24], "end"))
        body.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" '
                    f'fill="{PALETTE[0]}"/>')  # fmt: skip
        body.append(_text(left + w + 4, y + 12, f"{value:g}"))
    return _svg(width, height, body, label)


def scatter(
    points: Sequence[tuple[float, float, str, float]],
    line: Sequence[tuple[float, float]],
    x_max: float,
    label: str,
    x_label: str,
    y_label: str,
    vline: float | None = None,
    width: int = 640,
    height: int = 320,
) -> str:
    """Points (x, y, colour group, size) over a step line (x, y), with an optional vertical
    line (e.g. the budget) and a legend of the groups."""
    left, right, top, bottom = 50, 150, 10, 35
    ys = [p[1] for p in points] + [v for _, v in line]
    finite = [v for v in ys if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.05 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    x_max = max(x_max, 1e-9)

    def px(x: float) -> float:
        return left + (width - left - right) * min(max(x / x_max, 0.0), 1.0)

    def py(y: float) -> float:
        return top + (height - top - bottom) * (1 - (y - lo) / (hi - lo))

    body = [f'<rect x="{left}" y="{top}" width="{width - left - right}" '
            f'height="{height - top - bottom}" fill="none" stroke="#999"/>']  # fmt: skip
    for frac in (0.0, 0.5, 1.0):
        value = lo + frac * (hi - lo)
        body.append(_text(left - 4, py(value) + 4, f"{value:.3g}", "end"))
        body.append(_text(px(frac * x_max), height - bottom + 14, f"{frac * x_max:.3g}", "middle"))
    body.append(_text((left + width - right) / 2, height - 4, x_label, "middle"))
    body.append(_text(12, (top + height - bottom) / 2, y_label, "middle",
                      f'transform="rotate(-90 12 {(top + height - bottom) / 2:.1f})"'))  # fmt: skip
    groups = list(dict.fromkeys(p[2] for p in points))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    if vline is not None:
        body.append(f'<line x1="{px(vline):.1f}" y1="{top}" x2="{px(vline):.1f}" '
                    f'y2="{height - bottom}" stroke="#333" stroke-dasharray="4 3"/>')  # fmt: skip
    if line:
        path = [f"{px(line[0][0]):.1f},{py(line[0][1]):.1f}"]
        for (_, y0), (x1, y1) in itertools.pairwise(line):
            path.append(f"{px(x1):.1f},{py(y0):.1f} {px(x1):.1f},{py(y1):.1f}")
        path.append(f"{px(x_max):.1f},{py(line[-1][1]):.1f}")
        body.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#222" '
                    'stroke-width="1.5"/>')  # fmt: skip
    for x, y, group, size in points:
        if math.isfinite(y):
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{size:.1f}" '
                        f'fill="{colour[group]}" fill-opacity="0.75"/>')  # fmt: skip
    for i, group in enumerate(groups[:14]):
        y = top + 8 + 15 * i
        body.append(f'<circle cx="{width - right + 12}" cy="{y}" r="4" fill="{colour[group]}"/>')
        body.append(_text(width - right + 20, y + 4, group[:20]))
    return _svg(width, height, body, label)


def heatmap(matrix: Sequence[Sequence[float]], labels: Sequence[str], label: str) -> str:
    """A square table of counts (rows: true, columns: predicted), darker = more."""
    n = len(labels)
    cell, left, top = 36, 110, 40
    size_w, size_h = left + cell * n + 10, top + cell * n + 10
    peak = max((max(r) for r in matrix), default=1) or 1
    body = [_text(left + cell * n / 2, 12, "predicted", "middle")]
    for j, name in enumerate(labels):
        body.append(_text(left + cell * j + cell / 2, top - 8, str(name)[:6], "middle"))
    for i, name in enumerate(labels):
        body.append(_text(left - 6, top + cell * i + cell / 2 + 4, f"true {str(name)[:10]}", "end"))
        for j in range(n):
            value = matrix[i][j]
            shade = 1 - 0.85 * value / peak
            fill = f"rgb({int(255 * shade)},{int(255 * shade)},{int(255 * (0.4 + 0.6 * shade))})"
            body.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" '
                        f'height="{cell}" fill="{fill}" stroke="#fff"/>')  # fmt: skip
            ink = "#fff" if shade < 0.5 else "#000"
            body.append(_text(left + cell * j + cell / 2, top + cell * i + cell / 2 + 4,
                              f"{value:g}", "middle", f'fill="{ink}"'))  # fmt: skip
    return _svg(size_w, size_h, body, label)


def ranges(
    rows: Sequence[tuple[str, float, float, float, float]], label: str, width: int = 520
) -> str:
    """Per row (name, low, median, high, value): the training range as a bar (low to
    high, median tick) and the table's value as a dot, on a per-row scale."""
    row, left = 22, 200
    height = row * len(rows) + 10
    body = []
    for i, (name, low, mid, high, value) in enumerate(rows):
        y = 5 + i * row + 11
        span = [v for v in (low, high, value) if math.isfinite(v)]
        a, b = (min(span), max(span)) if span else (0.0, 1.0)
        if b - a < 1e-12:
            a, b = a - 1, b + 1

        def px(v: float, a: float = a, b: float = b) -> float:
            return left + (width - left - 20) * (v - a) / (b - a)

        body.append(_text(left - 6, y + 4, str(name)[:32], "end"))
        if math.isfinite(low) and math.isfinite(high):
            body.append(f'<line x1="{px(low):.1f}" y1="{y}" x2="{px(high):.1f}" y2="{y}" '
                        'stroke="#bbb" stroke-width="6"/>')  # fmt: skip
        if math.isfinite(mid):
            body.append(f'<line x1="{px(mid):.1f}" y1="{y - 5}" x2="{px(mid):.1f}" '
                        f'y2="{y + 5}" stroke="#666"/>')  # fmt: skip
        if math.isfinite(value):
            body.append(f'<circle cx="{px(value):.1f}" cy="{y}" r="4" fill="{PALETTE[2]}"/>')
    return _svg(width, height, body, label)
