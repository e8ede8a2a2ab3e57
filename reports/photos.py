"""A resident's photo made safe to keep: checked (a real image of a known type, at most 10 MB), turned upright,
re-encoded as JPEG without its EXIF (the GPS position of the resident's home and the phone's make are personal
data the city does not need) and resized for the console, with a small copy for lists.

Re-encoding from the decoded pixels is what removes the metadata: nothing of the original file is kept.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 10 MB file that decodes to gigabytes is refused, not decoded
LONG_SIDE = 1600
THUMB_SIDE = 320
FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}  # MPO: the JPEG some phones write


class PhotoError(ValueError):
    """Why a photo cannot be kept; ``reason`` is one of too_large / not_image / broken."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    name: str  # 32 hex characters: the file name in the store
    data: bytes
    thumb: bytes
    width: int
    height: int


def clean(data: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata, or a :class:`PhotoError`."""
    if len(data) > MAX_BYTES:
        raise PhotoError("too_large", f"{len(data)} bytes")
    if not data:
        raise PhotoError("not_image", "empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format or ""
            probe.verify()  # structure and checksums, without decoding the pixels
        if kind not in FORMATS:
            raise PhotoError("not_image", kind or "unknown")
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("too_large", f"{image.width}x{image.height}")
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
    except PhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoError("too_large", "decompression bomb") from exc
    except UnidentifiedImageError as exc:
        raise PhotoError("not_image", type(exc).__name__) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoError("broken", type(exc).__name__) from exc
    big = _fit(rgb, LONG_SIDE)
    small = _fit(rgb, THUMB_SIDE)
    return CleanPhoto(uuid.uuid4().hex, _jpeg(big, 85), _jpeg(small, 75), big.width, big.height)


def _fit(image: Image.Image, side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: written without metadata
    return out.getvalue()
