"""Reply markup and command checks, with the real server's error texts."""

import json

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.params import Params
from bot.emulator.validation import bot_commands, reply_markup


def _markup(value):
    return reply_markup(Params({"reply_markup": value if isinstance(value, str) else json.dumps(value)}))


def _button(**fields):
    return {"inline_keyboard": [[{"text": "B", **fields}]]}


ACCEPTED = [
    _button(callback_data="x" * 64),
    _button(callback_data="é" * 32),  # 64 bytes in UTF-8
    _button(url="https://example.org/page"),
    _button(url="tg://resolve?domain=x"),
    {"inline_keyboard": [[{"text": str(i), "callback_data": str(i)} for i in range(8)]] * 12},
    {"keyboard": [["Yes", {"text": "No"}]], "resize_keyboard": True},
    {"remove_keyboard": True},
    {"force_reply": True},
]

REFUSED = [
    ("{not json", "can't parse reply keyboard markup JSON object"),
    ([1], "object expected as reply markup"),
    ({"inline_keyboard": "bad"}, 'field "inline_keyboard" must be of type Array'),
    ({"inline_keyboard": [{"text": "B"}]}, "of the InlineKeyboardMarkup must be an Array of Arrays"),
    (
        {"inline_keyboard": [["B"]]},
        "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
    ),
    (
        {"inline_keyboard": [[{"callback_data": "x"}]]},
        "can't parse inline keyboard button: Can't find field \"text\"",
    ),
    (_button(), "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"),
    (_button(callback_data=""), "Text buttons are unallowed in the inline keyboard"),
    (
        _button(callback_data=5),
        'can\'t parse inline keyboard button: Field "callback_data" must be of type String',
    ),
    (_button(callback_data="x" * 65), "BUTTON_DATA_INVALID"),
    (_button(callback_data="é" * 33), "BUTTON_DATA_INVALID"),
    (_button(callback_data="x", url="https://example.org"), "exactly one of url, callback_data must be used"),
    (_button(url="not-a-url"), "inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL"),
    (_button(url="ftp://example.org"), "URL 'ftp://example.org' is invalid: Unsupported URL protocol"),
    (
        _button(web_app={"url": "http://example.org"}),
        "Web App URL 'http://example.org' is invalid: Only HTTPS links",
    ),
    ({"inline_keyboard": [[{"text": "B", "callback_data": "x"}] * 9]}, "more than 8 buttons in a row"),
    ({"inline_keyboard": [[{"text": "B", "callback_data": "x"}] * 5] * 21}, "reply markup is too long"),
    ({"keyboard": "bad"}, 'field "keyboard" must be of type Array'),
    ({"remove_keyboard": "yes"}, 'field "remove_keyboard" must be of type Boolean'),
]


@pytest.mark.parametrize("markup", ACCEPTED)
def test_valid_markup_is_kept(markup):
    assert _markup(markup) == markup


@pytest.mark.parametrize(("markup", "error"), REFUSED)
def test_invalid_markup_is_refused(markup, error):
    with pytest.raises(ApiError) as refused:
        _markup(markup)
    assert refused.value.status == 400
    assert refused.value.description.startswith("Bad Request: ")
    assert error in refused.value.description


@pytest.mark.parametrize("markup", ["", {}, {"inline_keyboard": []}])
def test_empty_markup_means_none(markup):
    assert _markup(markup) is None


def _commands(value):
    return bot_commands(Params({"commands": json.dumps(value)}))


def test_commands_are_kept_in_order():
    commands = [{"command": "start", "description": "Begin"}, {"command": "stop_now", "description": "Stop"}]
    assert _commands(commands) == commands


@pytest.mark.parametrize(
    ("commands", "error"),
    [
        ({"command": "start"}, "expected an Array of BotCommand"),
        ([{"command": "start"}], "can't parse BotCommand: Can't find field \"description\""),
        ([{"command": "Start", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "x" * 33, "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "start", "description": ""}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": f"c{i}", "description": "x"} for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ],
)
def test_invalid_commands_are_refused(commands, error):
    with pytest.raises(ApiError, match=error):
        _commands(commands)
