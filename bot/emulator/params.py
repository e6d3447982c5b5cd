"""Bot API parameters from a request: query string, urlencoded or multipart form, or JSON body.

Clients send objects (reply_markup, entities, ...) as JSON strings inside form fields, or as
real objects inside a JSON body; the accessors accept both and read values the way the server's
to_integer / to_bool do (a malformed number reads as 0).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request

MAX_REQUEST = 50 * 1024 * 1024  # Telegram's upload limit for bots
_JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
     "link_preview_options", "reply_parameters"}
)  # fmt: skip


@dataclass(frozen=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


class Params:
    def __init__(self, values: dict[str, Any]):
        self._values = values

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, Upload):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.text(name)
        if value is None or not value.strip():
            return default
        try:
            return int(value.strip())
        except ValueError:
            return 0

    def flag(self, name: str) -> bool:
        return (self.text(name) or "").lower() in ("true", "1")

    def json(self, name: str, error: str) -> Any:
        """A JSON-valued field, decoded; None when absent or empty; ``error`` when malformed."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None

    def upload(self, name: str) -> Upload | str | None:
        value = self._values.get(name)
        return value if isinstance(value, Upload) else self.text(name)

    def for_record(self) -> dict[str, Any]:
        """The parameters with JSON fields decoded and uploads summarised, for emu.calls."""
        decoded: dict[str, Any] = {}
        for name, value in self._values.items():
            if isinstance(value, Upload):
                value = {"filename": value.filename, "content_type": value.content_type, "size": value.size}
            elif name in _JSON_FIELDS and isinstance(value, str):
                with contextlib.suppress(ValueError):  # recorded as sent; the method reports the error
                    value = json.loads(value)
            decoded[name] = value
        return decoded


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    try:
        if request.content_type == "application/json":
            body = await request.json()
            values.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    values[name] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[name] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    return Params(values)
