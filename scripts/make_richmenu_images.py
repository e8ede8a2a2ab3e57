"""Regenerate the default rich-menu images (developer tool; needs Pillow and Noto CJK fonts)."""
from PIL import Image, ImageDraw, ImageFont

font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 110)
small = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 64)
def menu(path, bg, fg, labels):
    img = Image.new("RGB", (2500, 843), bg)
    d = ImageDraw.Draw(img)
    w = 2500 // len(labels)
    for i, (icon, label, sub) in enumerate(labels):
        x0 = i * w
        if i:
            d.line([(x0, 60), (x0, 783)], fill=fg, width=6)
        cx = x0 + w // 2
        d.text((cx, 300), icon, font=font, fill=fg, anchor="mm")
        d.text((cx, 500), label, font=font, fill=fg, anchor="mm")
        d.text((cx, 660), sub, font=small, fill=fg, anchor="mm")
    img.save(path, optimize=True)
menu("broadcasts/data/richmenu-normal.png", (6, 199, 85), (255, 255, 255),
     [("？", "よくある質問", "分野から探す"), ("！", "お知らせ", "最新のお知らせ"), ("✓", "配信設定", "受け取る情報")])
menu("broadcasts/data/richmenu-disaster.png", (200, 20, 20), (255, 255, 255),
     [("⚠", "緊急情報", "いま出ている情報"), ("◎", "避難所", "開設状況・場所"), ("☎", "問い合わせ", "災害対策本部")])
