"""Where report photos are kept: a folder under the instance path by default, behind a small interface so another
store (an S3-compatible bucket) can stand in its place (:func:`store_from_url`).

Keys carry the municipality (``<municipality_id>/<report_id>/<name>.jpg``) and every read goes through
:meth:`PhotoStore.get` with the municipality asking: one town's photos are never served to another's staff.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from core.private_files import private_folder, write_private

KEY = re.compile(r"^\d+/\d+/[0-9a-f]{32}(?:-thumb)?\.jpg$")


class PhotoStoreError(ValueError):
    """A key that is not one of ours, or a store setting that cannot be used."""


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, municipality_id: int, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    if not KEY.match(key):
        raise PhotoStoreError(f"not a photo key: {key[:80]!r}")
    return key


def owner_of(key: str) -> int:
    return int(check_key(key).split("/", 1)[0])


class FolderStore:
    """Photos as files (0600, folders 0700: they are personal data) under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        private_folder(path.parent)
        part = path.with_suffix(".part")
        write_private(part, data)
        part.replace(path)  # a reader never sees half a photo

    def get(self, municipality_id: int, key: str) -> bytes | None:
        if owner_of(key) != municipality_id:
            return None
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        if not key:
            return
        path = self._path(key)
        path.unlink(missing_ok=True)
        for parent in (path.parent, path.parent.parent):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break


def store_from_url(url: str, instance_path: Path) -> PhotoStore:
    """``MACHIMADO_PHOTO_STORE``: empty for ``<instance>/report_photos``, ``file:///path`` for another folder. Other
    schemes are refused at startup with one line (an S3-compatible store is a class with the three methods above)."""
    if not url:
        return FolderStore(instance_path / "report_photos")
    if url.startswith("file://"):
        path = url[len("file://"):]
        if not path.startswith("/"):
            raise PhotoStoreError(f"MACHIMADO_PHOTO_STORE: file:// needs an absolute path, got {url!r}")
        return FolderStore(Path(path))
    raise PhotoStoreError(f"MACHIMADO_PHOTO_STORE: unsupported store {url.split(':', 1)[0]!r} (use file:///path)")
