"""Pictures for the 通報 tests, made with Pillow: a JPEG carrying EXIF GPS and device data (what a phone writes),
a PNG, a corrupt JPEG and bytes that are no picture at all."""

from __future__ import annotations

import io

from PIL import Image

GPS_TAG = 0x8825
MAKE, MODEL = 0x010F, 0x0110


def jpeg_with_gps(size: tuple[int, int] = (1200, 900), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "PhoneMaker", "Model X"
    exif[0x0112] = orientation
    exif[GPS_TAG] = {1: "N", 2: (31.0, 35.0, 48.0), 3: "E", 4: (130.0, 33.0, 25.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 10, 128)).save(out, "PNG")
    return out.getvalue()


def corrupt_jpeg() -> bytes:
    data = jpeg_with_gps((400, 300))
    return data[: len(data) // 3] + b"\x00" * 200  # the scan cut off


NOT_AN_IMAGE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
