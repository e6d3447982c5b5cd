"""python-telegram-bot's HTTP requests made with aiohttp instead of httpx.

Why: measured against the emulator (bench/delivery.py, a bare PTB bot sending check-ins), httpx
spent about 1 ms of CPU on each request, most of what a send costs; aiohttp, already our
dependency, does the same request for a third of that. A bot that sends a clinic's check-ins at
Telegram's limit, answers patients and records everything on one core needs that CPU. PTB's
`BaseRequest` is the documented way to change the HTTP library (ptbcontrib's aiohttp request is
not published on PyPI). Errors are mapped as HTTPXRequest maps them: TimedOut for a time-out,
NetworkError for the rest; PTB turns the HTTP status and body into its other errors.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # "not given": the request's own default applies


class AiohttpRequest(BaseRequest):
    """Defaults as HTTPXRequest's: 5 s to connect, write and read, 1 s to wait for a free
    connection, 20 s to write a file upload."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size), headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read, write, connect, pool = (
            self._timeouts[name] if isinstance(value, _DEFAULT) else value
            for name, value in (
                ("read", read_timeout),
                ("write", write_timeout),
                ("connect", connect_timeout),
                ("pool", pool_timeout),
            )
        )
        if files and isinstance(write_timeout, _DEFAULT):
            write = self._media_write_timeout
        # aiohttp has no write time-out of its own: the whole request may take all three; and its
        # `connect` covers waiting for a free connection as well as making one.
        total = _sum(connect, write, read)
        timeout = aiohttp.ClientTimeout(
            total=total, connect=_sum(pool, connect), sock_connect=connect, sock_read=read
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data, files), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _sum(*seconds: float | None) -> float | None:
    """Time-outs added up; None (no limit) if one of them has none."""
    limited = [s for s in seconds if s is not None]
    return sum(limited) if len(limited) == len(seconds) else None


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    """Form fields, as PTB's httpx request sends them; multipart when a file goes along."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
