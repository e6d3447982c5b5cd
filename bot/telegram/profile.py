"""What Telegram shows about the bot, set at each start: the command menu of each audience and
the description, in every language the guidance ships.

- patients: the private-chat commands for everyone (BotCommandScopeAllPrivateChats), once per
  language with its code, and once without a code in English, the fallback;
- staff: their commands in each staff member's chat and each clinic's alert chat
  (BotCommandScopeChat), in the clinic's language;
- the description (shown in an empty chat) and the short description (profile page, shared
  links), per language and in English without a code;
- where the worklist is reachable over https (`[web] public_url`), a menu button in each staff
  member's private chat that opens it as a Mini App (signed in by Telegram's initData,
  `bot/web/telegram_login.py`). Without https Telegram refuses a Mini App, so nothing is set.

Texts are guidance messages (`command_<name>`, `bot_description`, `bot_short_description`);
clinics share one bot, so each language's texts come from the first clinic whose guidance ships
it. Nothing here stops the bot: whatever Telegram refuses is one line in the log.
Imports `bot.services`, `bot.render` and `bot.guidance`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterator

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot.guidance.config import Config
from bot.guidance.model import Guidance
from bot.render import html as render
from bot.services.shared import Services
from bot.services.web_access import MINI_APP_PATH
from bot.telegram.replies import describe

log = logging.getLogger(__name__)

FALLBACK = "en"  # the language every guidance ships, and the one for users of any other
PATIENT_COMMANDS = ("help", "status", "tips", "language", "pause", "resume", "stop", "delete")
STAFF_COMMANDS = ("enrol", "active", "alerts", "patient", "web", "help")
ADMIN_COMMANDS = (*STAFF_COMMANDS, "settings")
ALERT_CHAT_COMMANDS = ("active", "alerts", "patient")


def by_language(config: Config, guidance_by_clinic: dict[str, Guidance]) -> dict[str, Guidance]:
    """Each language shipped, with the guidance of the first clinic (in config order) shipping it."""
    found: dict[str, Guidance] = {}
    for clinic in config.clinics:
        guidance = guidance_by_clinic[clinic.id]
        for language in guidance.messages:
            found.setdefault(language, guidance)
    return found


def commands(guidance: Guidance, names: tuple[str, ...], language: str) -> list[BotCommand]:
    return [BotCommand(name, text(guidance, f"command_{name}", language)) for name in names]


def text(guidance: Guidance, key: str, language: str) -> str:
    """A message as plain text: menus and descriptions take no HTML."""
    return render.plain(render.message(guidance, key, language))


def calls(bot: Bot, services: Services) -> Iterator[Awaitable[bool]]:
    """Every call that sets the profile, patients' first."""
    languages = by_language(services.config, dict(services.guidance_by_clinic))
    private = BotCommandScopeAllPrivateChats()
    for language, guidance in [(None, languages[FALLBACK]), *languages.items()]:
        lang = language or FALLBACK
        yield bot.set_my_commands(commands(guidance, PATIENT_COMMANDS, lang), private, language)
        yield bot.set_my_description(text(guidance, "bot_description", lang), language)
        yield bot.set_my_short_description(text(guidance, "bot_short_description", lang), language)
    for scope, guidance, names, lang in staff_scopes(services):
        yield bot.set_my_commands(commands(guidance, names, lang), scope)
    yield from menu_buttons(bot, services)


def menu_buttons(bot: Bot, services: Services) -> Iterator[Awaitable[bool]]:
    """The worklist as a Mini App from the menu button of each staff member's private chat,
    labelled in their (first) clinic's language; none unless the worklist is served over https."""
    public_url = services.config.web.public_url
    if not public_url or not public_url.startswith("https://"):
        return
    worklist = WebAppInfo(public_url.rstrip("/") + MINI_APP_PATH)
    seen: set[int] = set()
    for clinic in services.config.clinics:
        label = text(services.guidance(clinic.id), "menu_button_worklist", clinic.language)
        for member in clinic.staff:
            if member.telegram_id not in seen:
                seen.add(member.telegram_id)
                yield bot.set_chat_menu_button(member.telegram_id, MenuButtonWebApp(label, worklist))


def staff_scopes(services: Services) -> Iterator[tuple[BotCommandScope, Guidance, tuple[str, ...], str]]:
    """Each staff member's chat, then each alert chat, with its clinic's guidance, commands and
    language; a member of several clinics reads the first one's, as their replies do."""
    seen: set[int] = set()
    for clinic in services.config.clinics:
        guidance = services.guidance(clinic.id)
        for member in clinic.staff:
            if member.telegram_id not in seen:
                seen.add(member.telegram_id)
                names = ADMIN_COMMANDS if member.role == "admin" else STAFF_COMMANDS
                yield BotCommandScopeChat(member.telegram_id), guidance, names, clinic.language
        if clinic.alert_chat_id is not None and clinic.alert_chat_id not in seen:
            seen.add(clinic.alert_chat_id)
            yield BotCommandScopeChat(clinic.alert_chat_id), guidance, ALERT_CHAT_COMMANDS, clinic.language


async def publish(bot: Bot, services: Services) -> int:
    """Set the command menus and descriptions; how many calls failed. A refusal (a staff member
    who never opened the bot: "chat not found") skips that call only; one line tells of them."""
    failed: list[str] = []
    total = 0
    try:
        for call in calls(bot, services):
            total += 1
            try:
                await call
            except Exception as error:
                failed.append(describe(error))
    except Exception as error:  # the texts themselves: the rest of the profile is left as it was
        failed.append(describe(error))
    if failed:
        log.error("bot profile: %d of %d calls failed, the first: %s", len(failed), total, failed[0])
    return len(failed)
