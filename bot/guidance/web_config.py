"""The `[web]` section of the config: where the clinic worklist listens and the address staff
open it at. Off unless `listen` is set. Read by `bot.guidance.config` with the same validator
as every other key; imports its sibling `toml_doc` only."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.guidance.toml_doc import FILLED_TEXT, Schema, Table

WEB = Schema(optional={"listen": FILLED_TEXT, "public_url": FILLED_TEXT})


@dataclass(frozen=True)
class WebConfig:
    host: str | None = None  # None: no web worklist
    port: int = 0
    public_url: str | None = None  # as staff open it (behind a reverse proxy); else http://host:port

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def base_url(self) -> str:
        """The address sign-in links point at, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def secure(self) -> bool:
        """Cookies are sent over https only when staff reach the worklist over https."""
        return self.base_url.startswith("https://")


def is_loopback(url: str) -> bool:
    return _loopback_host(urlsplit(url).hostname or "")


def _loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_web(root: Table) -> WebConfig:
    table = root.table("web", WEB)
    if "listen" not in table:
        if "public_url" in table:
            raise table.error("public_url", 'set listen too (e.g. listen = "127.0.0.1:8080")')
        return WebConfig()
    listen: str = table["listen"]
    host, _, port_text = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise table.error("listen", f'{listen!r} is not host:port, e.g. "127.0.0.1:8080"')
    public_url = table.get("public_url")
    if public_url is None and not _loopback_host(host):
        # Sign-in links would point at http://<listen>: unencrypted, and often not the address
        # staff can open (0.0.0.0 in a container).
        raise table.error("public_url", f"needed when listen is not a loopback address ({listen!r})")
    if public_url is not None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise table.error("public_url", f"{public_url!r} is not an http(s) address without ?query")
        if parts.scheme == "http" and not _loopback_host(parts.hostname):
            # The sign-in link and the session cookie would cross the network in the clear.
            raise table.error(
                "public_url", f"{public_url!r}: use https (plain http only on a loopback address)"
            )
    return WebConfig(host, int(port_text), public_url)
