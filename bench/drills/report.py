"""The table every drill prints: Markdown, so it can go straight into bench/README.md."""

from __future__ import annotations

from collections.abc import Iterable


def print_table(title: str, rows: Iterable[tuple[str, object]]) -> None:
    rows = [(str(k), str(v)) for k, v in rows]
    print(title)
    print()
    print("| figure | value |")
    print("|---|---|")
    for key, value in rows:
        print(f"| {key} | {value} |")
