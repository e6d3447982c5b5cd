"""What the admins are told about staff and alert chats the bot cannot reach (pure).

Names and Telegram ids only: no patient data. The same text, made plain, is what
`aftercare check-config --online` prints. Imports `bot.guidance` and `bot.render.html`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.render import html as render
from bot.render.html import Safe, escape


def clinic_chats(clinic: Clinic) -> list[int]:
    """Every chat a clinic's alerts may go to: its staff in config order, then its alert chat."""
    chats = [s.telegram_id for s in clinic.staff]
    return chats + ([clinic.alert_chat_id] if clinic.alert_chat_id is not None else [])


def unreachable_report(guidance: Guidance, clinic: Clinic, refused: Mapping[int, str]) -> Safe | None:
    """The admins' message about the clinic's chats in `refused` (chat id -> Telegram's reason),
    in config order; None when every chat of the clinic can be reached."""
    lines = []
    for chat in clinic_chats(clinic):
        if chat not in refused:
            continue
        member = clinic.staff_member(chat)
        name = member.name if member else render.message(guidance, "reach_alert_chat", clinic.language)
        lines.append(f"• {escape(render.one_line(name, 60))} ({chat}): {escape(refused[chat])}")
    if not lines:
        return None
    return render.message(guidance, "staff_unreachable", clinic.language, chats=Safe("\n".join(lines)))
