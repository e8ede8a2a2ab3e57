"""Import previews' uploads under the instance folder: kept an hour for the 「この内容で取り込む」 step, then swept."""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app

PREVIEW_KEPT_S = 3600  # an import preview can be confirmed for an hour; older uploads are deleted
TOKEN = re.compile(r"[0-9a-f]{24}")


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep(pattern: str, now: float) -> None:
    """Delete preview uploads matching ``pattern`` (up to 20 MB each) nobody confirmed within the hour."""
    for old in upload_dir().glob(pattern):
        try:
            if now - old.stat().st_mtime > PREVIEW_KEPT_S:
                old.unlink()
        except FileNotFoundError:  # another worker swept it first
            pass
