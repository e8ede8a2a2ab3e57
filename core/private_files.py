"""Files that hold residents' personal data (backups, privacy exports): readable by their owner only.

A backup holds LINE user ids, questions and (optionally) password hashes; the default umask writes 0644, readable by
every account on the server (#26). Created 0600 (their folder 0700) from the first byte, not chmod-ed afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_folder(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT: make it private too
