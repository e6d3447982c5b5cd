"""Files the bot writes for people (QR codes with a live token, reports, exports): owner only."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: str | Path, data: str | bytes) -> Path:
    """Write `data` to `path`, readable and writable by its owner alone, also when the file
    already existed with a wider mode (opening keeps an existing file's mode, so it is set)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)
        file.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path
