"""Small server-side SVG charts (no JavaScript library, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

COLORS = ("#137333", "#f9ab00", "#b3261e", "#1f3a5f")


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]], width: int = 560,
              height: int = 220) -> Markup:
    """Stacked bars, one per label; ``series`` = [(name, values)]."""
    pad_l, pad_b, pad_t = 36, 28, 24
    n = max(len(labels), 1)
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    top = max(max(totals, default=0), 1)
    bar_w = (width - pad_l - 8) / n
    parts = [f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<text x="{pad_l}" y="14" font-weight="bold">{escape(title)}</text>',
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
        if n <= 12 or i % max(n // 8, 1) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 10}">{escape(label[5:])}</text>')
    legend_x = pad_l + 160
    for j, (color, (name, _)) in enumerate(zip(COLORS, series, strict=False)):
        parts.append(f'<rect x="{legend_x + j * 90}" y="5" width="10" height="10" fill="{color}"/>'
                     f'<text x="{legend_x + j * 90 + 14}" y="14">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, labels: list[str], values: list[int], width: int = 560, height: int = 200) -> Markup:
    pad_l, pad_b, pad_t = 36, 28, 24
    top = max(max(values, default=0), 1)
    n = max(len(values) - 1, 1)
    pts = " ".join(f"{pad_l + i * (width - pad_l - 8) / n:.1f},{height - pad_b - v * (height - pad_b - pad_t) / top:.1f}"
                   for i, v in enumerate(values))
    return Markup(
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text x="{pad_l}" y="14" font-weight="bold">{escape(title)}</text>'
        f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - 4}" y2="{height - pad_b}" stroke="#999"/>'
        f'<text x="2" y="{pad_t + 8}">{top}</text><text x="2" y="{height - pad_b}">0</text>'
        f'<polyline fill="none" stroke="#1f3a5f" stroke-width="2" points="{pts}"/>'
        + (f'<text x="{pad_l}" y="{height - 10}">{escape(labels[0])}</text>'
           f'<text x="{width - 80}" y="{height - 10}">{escape(labels[-1])}</text>' if labels else "")
        + "</svg>")
