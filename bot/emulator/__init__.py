"""A local Telegram Bot API server for tests and the offline demo.

    async with BotApiEmulator() as emu:
        app = (Application.builder().token(emu.token)
               .base_url(emu.base_url).base_file_url(emu.base_file_url).build())
        ana = emu.add_user("Ana")
        await emu.start_deep_link(ana, "enrol-42")   # or emu.send_text(ana, "/start enrol-42")
        reply = await emu.wait_for_message(ana)      # .text, .html, .keyboard, .message_id
        await emu.press_button(ana, reply, "better")
        emu.assert_no_violations()                   # the tests' emulator fixture does this

It enforces Telegram's rules with the real server's error texts (HTML parsing, text and
callback-data lengths, keyboards, edits, blocked users, flood limits), records every call in
``emu.calls`` and every error the bot caused in ``emu.violations``, and injects failures through
``emu.faults``. After setWebhook it POSTs updates to the webhook instead (``webhook.py``).
"""

from .emulator import BotApiEmulator
from .limits import RateLimits
from .model import CallbackQuery, Chat, Message, User
from .records import Call, Violation
from .signals import EmulatorTimeout

__all__ = [
    "BotApiEmulator",
    "Call",
    "CallbackQuery",
    "Chat",
    "EmulatorTimeout",
    "Message",
    "RateLimits",
    "User",
    "Violation",
]
