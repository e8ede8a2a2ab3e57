"""Draw the rich-menu pictures from broadcasts/data/richmenus.yaml: every menu in every language.

Developer tool (the PNGs are committed): needs Pillow and the Noto fonts (Debian: fonts-noto-cjk, fonts-noto-core).
Run from the project root: `python scripts/make_richmenu_images.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from PIL import Image, ImageDraw, ImageFont

DATA = Path(__file__).resolve().parent.parent / "broadcasts" / "data"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-{}.ttc"
LATIN = "/usr/share/fonts/truetype/noto/NotoSans-{}.ttf"
DEVANAGARI = "/usr/share/fonts/truetype/noto/NotoSansDevanagari-{}.ttf"
CJK_INDEX = {"zh-Hans": 2, "zh-Hant": 3, "ko": 1}  # NotoSansCJK collection: 0 JP, 1 KR, 2 SC, 3 TC


def font_for(text: str, lang: str, weight: str, size: int) -> ImageFont.FreeTypeFont:
    if re.search(r"[\u0900-\u097f]", text):
        return ImageFont.truetype(DEVANAGARI.format(weight), size)
    if re.search(r"[^\x00-\u024f\u1e00-\u1eff]", text):  # kana, kanji, hangul, symbols
        return ImageFont.truetype(CJK.format(weight), size, index=CJK_INDEX.get(lang, 0))
    return ImageFont.truetype(LATIN.format(weight), size)


def fitted(draw: ImageDraw.ImageDraw, text: str, lang: str, weight: str, size: int, width: int
           ) -> ImageFont.FreeTypeFont:
    """The largest font up to ``size`` in which ``text`` fits ``width`` pixels."""
    while size > 24:
        font = font_for(text, lang, weight, size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 6
    return font_for(text, lang, weight, size)


def draw_menu(path: Path, lang: str, layout: dict, colors: list[str], areas: list[list[str]], big: bool) -> None:
    width, height, columns, rows = layout["width"], layout["height"], layout["columns"], layout["rows"]
    bg, fg = colors
    img = Image.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    cell_w, cell_h = width // columns, height // rows
    scale = 1.45 if big else 1.0
    for i, (icon, label, _action, sub) in enumerate(areas):
        x0, y0 = (i % columns) * cell_w, (i // columns) * cell_h
        if i % columns:
            d.line([(x0, y0 + 60), (x0, y0 + cell_h - 60)], fill=fg, width=6)
        if i // columns:
            d.line([(x0 + 60, y0), (x0 + cell_w - 60, y0)], fill=fg, width=6)
        cx, room = x0 + cell_w // 2, cell_w - 60
        d.text((cx, y0 + cell_h * 0.30), icon, font=fitted(d, icon, lang, "Bold", int(110 * scale), room),
               fill=fg, anchor="mm")
        d.text((cx, y0 + cell_h * 0.57), label, font=fitted(d, label, lang, "Bold", int(100 * scale), room),
               fill=fg, anchor="mm")
        d.text((cx, y0 + cell_h * 0.78), sub, font=fitted(d, sub, lang, "Regular", int(62 * scale), room),
               fill=fg, anchor="mm")
    img.save(path, optimize=True)


def main() -> None:
    spec = yaml.safe_load((DATA / "richmenus.yaml").read_text(encoding="utf-8"))
    for lang, menus in spec["menus"].items():
        for name, menu in menus.items():
            suffix = "" if lang == "ja" else f"-{lang}"
            path = DATA / f"richmenu-{name}{suffix}.png"
            draw_menu(path, lang, spec["layouts"][name], spec["colors"][name], menu["areas"],
                      name.startswith("large"))
            print(path.name, path.stat().st_size)


if __name__ == "__main__":
    main()
