"""Write a one-clinic config file: for the demo, the tests and the drills, which run the real
bot against the emulator and need a config that `load_config` checks like any clinic's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):  # an inline table: { "mon-fri" = "08:00-18:00" }
        return "{ " + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def write_clinic_config(
    path: Path,
    telegram: Mapping[str, Any],
    storage: Mapping[str, Any],
    clinic: Mapping[str, Any],
    staff: Sequence[tuple[int, str, str]],
    web: Mapping[str, Any] | None = None,
) -> Path:
    """`staff` as (telegram id, name, role); keys whose value is None are left out; no [web]
    table without `web`."""
    lines = ["[telegram]", *(f"{k} = {toml_value(v)}" for k, v in telegram.items() if v is not None)]
    lines += ["", "[storage]", *(f"{k} = {toml_value(v)}" for k, v in storage.items() if v is not None)]
    if web is not None:
        lines += ["", "[web]", *(f"{k} = {toml_value(v)}" for k, v in web.items() if v is not None)]
    lines += ["", "[[clinics]]", *(f"{k} = {toml_value(v)}" for k, v in clinic.items() if v is not None)]
    for telegram_id, name, role in staff:
        lines += [
            "",
            "[[clinics.staff]]",
            f"telegram_id = {telegram_id}",
            f"name = {toml_value(name)}",
            f"role = {toml_value(role)}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
