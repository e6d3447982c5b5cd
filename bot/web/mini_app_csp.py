"""The Content-Security-Policy of the pages a Mini App opens inside Telegram.

Two things differ from the policy of the other pages:
- `frame-ancestors`: Telegram's web clients show a Mini App in an iframe of their own origin;
  every other page forbids framing ('none'), these allow Telegram's web origins and no other.
  (The phone and desktop apps open it in a web view, which frame-ancestors does not touch.)
- `script-src`: the page needs `telegram-web-app.js` for `Telegram.WebApp.initData`. It is
  allowed explicitly from https://telegram.org rather than vendored: Telegram changes the script
  with its clients (new versions of the WebApp API, fixes for their web views) and documents
  loading it from there; a vendored copy would age silently. It is the only outside source.
- `img-src` adds `blob:`: an <img> cannot send the initData header, so the page's script fetches
  the chart and photos itself and shows them from blob: URLs of what it fetched.
"""

from __future__ import annotations

TELEGRAM_WEB_ORIGINS = (
    "https://web.telegram.org",  # the /k/ and /a/ web clients
    "https://webk.telegram.org",  # their older addresses, still served
    "https://webz.telegram.org",
)
TELEGRAM_WEB_APP_JS = "https://telegram.org/js/telegram-web-app.js"


def mini_app_policy() -> str:
    """The CSP header value for a Mini App page: only its own resources, Telegram's script, and
    framing by Telegram's web clients alone."""
    directives = {
        "default-src": "'none'",
        "script-src": f"'self' {TELEGRAM_WEB_APP_JS}",
        "style-src": "'self'",
        "img-src": "'self' blob:",
        "connect-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": " ".join(TELEGRAM_WEB_ORIGINS),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())
