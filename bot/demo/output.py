"""Where the demo writes: a stream that drops the spaces rich pads each line with, so a saved
transcript or summary has no trailing spaces, and the progress lines of a quiet run."""

from __future__ import annotations

import io
import re
from typing import TextIO

# A line's end: spaces and the colour codes among them (kept: a terminal needs them).
_END = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$")
_CODE = re.compile(r"\x1b\[[0-9;]*m")


def trimmed(line: str) -> str:
    return _END.sub(lambda end: "".join(_CODE.findall(end.group())), line)


class TrimmedLines(io.TextIOBase):
    """Passes whole lines on to `out` without their trailing spaces; `finish` passes on the rest."""

    def __init__(self, out: TextIO):
        super().__init__()
        self.out = out
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        if lines:
            self.out.write("".join(trimmed(line) + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        self.out.flush()

    def finish(self) -> None:
        if self._partial:
            self.out.write(trimmed(self._partial))
            self._partial = ""
        self.flush()

    def isatty(self) -> bool:  # rich colours a terminal only
        return self.out.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # rich draws boxes only where they encode
        return getattr(self.out, "encoding", None) or "utf-8"
