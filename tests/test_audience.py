"""Who each handler serves, as filters: staff of a clinic anywhere, staff where that clinic's
follow-ups may show (their private chat, the clinic's alert chat), and presses from an audience."""

import pytest
from telegram import Update

from bot.guidance.config import load_config
from bot.services.shared import Services
from bot.store.database import Store
from bot.telegram.audience import ButtonHandler, Staff, StaffHere

from .harness import write_config

DANA, STRANGER, ALERT_CHAT, OTHER_GROUP = 7001, 7002, -100_100, -100_200


@pytest.fixture
def services(tmp_path):
    path = write_config(
        tmp_path, "http://127.0.0.1:9/bot", [(DANA, "Dana Reyes", "practitioner")], alert_chat_id=ALERT_CHAT
    )
    config = load_config(path)
    store = Store(":memory:")
    yield Services(config, store, {})
    store.close()


def message(user: int, chat: int) -> Update:
    kind = "private" if chat > 0 else "supergroup"
    return Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": chat, "type": kind, "title": "x"},
                "from": {"id": user, "is_bot": False, "first_name": "x"},
                "text": "/active",
            },
        },
        None,
    )


def press(user: int, chat: int, data: str) -> Update:
    return Update.de_json(
        {
            "update_id": 2,
            "callback_query": {
                "id": "1",
                "chat_instance": "1",
                "data": data,
                "from": {"id": user, "is_bot": False, "first_name": "x"},
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": chat, "type": "private"},
                    "from": {"id": 1, "is_bot": True, "first_name": "bot"},
                    "text": "x",
                },
            },
        },
        None,
    )


@pytest.mark.parametrize(
    ("user", "chat", "staff", "staff_here"),
    [
        (DANA, DANA, True, True),  # her private chat: every clinic of hers
        (DANA, ALERT_CHAT, True, True),  # her clinic's alert chat
        (DANA, OTHER_GROUP, True, False),  # a group that is not her clinic's: staff, but not here
        (STRANGER, STRANGER, False, False),
        (STRANGER, ALERT_CHAT, False, False),  # a member of the alert chat who is not staff
    ],
)
def test_staff_and_staff_here(services, user, chat, staff, staff_here):
    update = message(user, chat)
    assert bool(Staff(services).check_update(update)) is staff
    assert bool(StaffHere(services).check_update(update)) is staff_here


def test_a_button_handler_takes_presses_from_its_audience_only(services):
    handler = ButtonHandler(lambda *_: None, r"^s[a-z_]*:", Staff(services))
    assert handler.check_update(press(DANA, DANA, "sa:1:"))
    assert not handler.check_update(press(STRANGER, STRANGER, "sa:1:"))
    assert not handler.check_update(press(DANA, DANA, "pa:1:"))  # not its pattern
    assert not handler.check_update(message(DANA, DANA))  # not a press
