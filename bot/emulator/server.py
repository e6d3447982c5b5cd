"""The HTTP face: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` on aiohttp.

Every reply goes through one place, so each call is recorded once, with its status, and
errors the bot caused become violations; injected faults and replies nobody was left to read
(a long poll whose client had already gone) do not.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from .catalog import REAL_METHODS
from .errors import ApiError
from .faults import Faults
from .methods import BY_LOWER_NAME, METHODS
from .params import MAX_REQUEST, read_params
from .records import Call, Recorder
from .world import World

_log = logging.getLogger(__name__)


class ApiServer:
    def __init__(self, world: World, recorder: Recorder, faults: Faults, token: str):
        self.world = world
        self.recorder = recorder
        self.faults = faults
        self.token = token

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        return app

    def _reply(self, call: Call, outcome: Any, *, violation: bool = True) -> web.Response:
        if isinstance(outcome, ApiError):
            call.status, call.description = outcome.status, outcome.description
            body = outcome.payload()
        else:
            call.result = outcome
            body = {"ok": True, "result": outcome}
        self.recorder.record(call, counts_as_violation=violation)
        return web.json_response(body, status=call.status)

    async def _api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        call = Call(BY_LOWER_NAME.get(name.lower(), name), {}, self.world.clock())
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._reply(call, error)
        call.params = params.for_record()
        if request.match_info["token"] != self.token:
            return self._reply(call, ApiError(401, "Unauthorized"))
        handler = METHODS.get(call.method)
        if handler is None and name.lower() not in REAL_METHODS:
            return self._reply(call, ApiError(404, "Not Found"))
        failure = self.faults.failure(call.method)
        if failure is not None:
            call.injected = True
            return self._reply(call, failure)
        if handler is None:
            _log.warning("Bot API method %s is not emulated; answering true", name)
            call.emulated = False
            response = self._reply(call, True)
        else:
            try:
                response = self._reply(call, await handler(self.world, params))
            except ApiError as error:
                response = self._reply(call, error, violation=not _client_gone(request))
        delay = self.faults.response_delay(call.method)
        if delay:
            await asyncio.sleep(delay)
        return response

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == self.token:
            for stored in self.world.files.values():
                if stored.file_path == request.match_info["path"]:
                    return web.Response(
                        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                    )
        raise web.HTTPNotFound()


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
