"""Small server-side SVG charts (no JavaScript library, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

COLORS = ("#137333", "#f9ab00", "#b3261e", "#1f3a5f")


# Drawn in a small coordinate space with large text: the SVG is scaled to its card (~380 px wide on a laptop),
# and the words must stay readable there (≥ 12 px on screen; tests/app/test_browser.py measures them).
WIDTH, FONT = 400, 15


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]], width: int = WIDTH,
              height: int = 230) -> Markup:
    """Stacked bars, one per label; ``series`` = [(name, values)]."""
    pad_l, pad_b, pad_t = 34, 24, 44
    n = max(len(labels), 1)
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    top = max(max(totals, default=0), 1)
    bar_w = (width - pad_l - 8) / n
    parts = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
             f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<text x="2" y="16" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - 4}" y2="{height - pad_b}" stroke="#999"/>',
             f'<text x="2" y="{pad_t + 8}">{top}</text><text x="2" y="{height - pad_b}">0</text>']
    scale = (height - pad_b - pad_t) / top
    for i, label in enumerate(labels):
        x = pad_l + i * bar_w + 1
        y = float(height - pad_b)
        for color, (name, values) in zip(COLORS, series, strict=False):
            h = values[i] * scale
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                             f'fill="{color}"><title>{escape(label)} {escape(name)}: {values[i]}</title></rect>')
        if n <= 6 or i % max(n // 4, 1) == 0:
            parts.append(f'<text x="{min(x, width - 44):.1f}" y="{height - 6}">{escape(label[5:])}</text>')
    for j, (color, (name, _)) in enumerate(zip(COLORS, series, strict=False)):
        parts.append(f'<rect x="{2 + j * 110}" y="24" width="12" height="12" fill="{color}"/>'
                     f'<text x="{18 + j * 110}" y="35">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, labels: list[str], values: list[int | None], width: int = WIDTH, height: int = 210,
               unit: str = "") -> Markup:
    """A line over the days; a day without a value (None: no questions that day) is skipped, not drawn as 0."""
    pad_l, pad_b, pad_t = 34, 24, 30
    top = max(max((v for v in values if v is not None), default=0), 1)
    n = max(len(values) - 1, 1)
    pts = " ".join(f"{pad_l + i * (width - pad_l - 8) / n:.1f},{height - pad_b - v * (height - pad_b - pad_t) / top:.1f}"
                   for i, v in enumerate(values) if v is not None)
    return Markup(
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
        f'font-size="{FONT}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text x="2" y="16" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - 4}" y2="{height - pad_b}" stroke="#999"/>'
        f'<text x="2" y="{pad_t + 8}">{top}{escape(unit)}</text><text x="2" y="{height - pad_b}">0</text>'
        f'<polyline fill="none" stroke="#1f3a5f" stroke-width="3" points="{pts}"/>'
        + (f'<text x="{pad_l}" y="{height - 6}">{escape(labels[0][5:])}</text>'
           f'<text x="{width - 46}" y="{height - 6}">{escape(labels[-1][5:])}</text>' if labels else "")
        + "</svg>")
