"""The emulator over raw HTTP: routing, request formats, replies, getUpdates and the record."""

import asyncio
import json

import aiohttp
import pytest

from bot.emulator import BotApiEmulator, EmulatorTimeout


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def api(http, emu, method, *, token=None, verb="POST", **kwargs):
    url = f"{emu.base_url}{token or emu.token}/{method}"
    async with http.request(verb, url, **kwargs) as response:
        return response.status, await response.json()


async def test_wrong_token_is_unauthorized(http, emulator):
    with emulator.expect_violation(401):
        reply = await api(http, emulator, "getMe", token="1:WRONG")
    assert reply == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})


async def test_unknown_method_is_not_found(http, emulator):
    with emulator.expect_violation("Not Found"):
        reply = await api(http, emulator, "sendTelepathy")
    assert reply == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_real_but_unemulated_method_is_acknowledged_and_flagged(http, emulator):
    assert await api(http, emulator, "setChatTitle", data={"chat_id": "1", "title": "x"}) == (
        200,
        {"ok": True, "result": True},
    )
    assert emulator.calls[-1].emulated is False


async def test_get_me_describes_the_bot_and_method_names_ignore_case(http, emulator):
    status, body = await api(http, emulator, "GETME", verb="GET")
    assert status == 200
    assert body["result"] | {"id": 0} == {
        "id": 0, "is_bot": True, "first_name": "Aftercare", "username": "aftercare_test_bot",
        "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False,
        "can_connect_to_business": False, "has_main_web_app": False,
    }  # fmt: skip
    assert emulator.calls[-1].method == "getMe"


@pytest.mark.parametrize(
    "send",
    [
        lambda chat, markup: {
            "data": {"chat_id": str(chat), "text": "hi", "reply_markup": json.dumps(markup)}
        },
        lambda chat, markup: {"json": {"chat_id": chat, "text": "hi", "reply_markup": markup}},
        lambda chat, markup: {
            "params": {"chat_id": str(chat), "text": "hi", "reply_markup": json.dumps(markup)}
        },
    ],
    ids=["form", "json", "query-string"],
)
async def test_every_request_format_sends_a_message(http, emulator, send):
    user = emulator.add_user()
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    status, body = await api(http, emulator, "sendMessage", **send(user.id, markup))
    assert status == 200
    assert body["result"]["reply_markup"] == markup
    assert emulator.calls[-1].params["reply_markup"] == markup
    assert emulator.messages_to(user)[0].keyboard == markup["inline_keyboard"]


async def test_upload_records_its_size_and_can_be_downloaded(http, emulator):
    user = emulator.add_user()
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("caption", "<b>scan</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("photo", b"\x89PNG" + b"0" * 996, filename="scan.png", content_type="image/png")
    status, body = await api(http, emulator, "sendPhoto", data=form)
    assert status == 200
    assert body["result"]["caption"] == "scan"
    assert emulator.calls[-1].params["photo"] == {
        "filename": "scan.png",
        "content_type": "image/png",
        "size": 1000,
    }
    file_id = body["result"]["photo"][0]["file_id"]
    _, got = await api(http, emulator, "getFile", data={"file_id": file_id})
    async with http.get(f"{emulator.base_file_url}{emulator.token}/{got['result']['file_path']}") as download:
        assert len(await download.read()) == 1000


async def test_unknown_chat_and_error_reply_shape(http, emulator):
    with emulator.expect_violation("chat not found"):
        reply = await api(http, emulator, "sendMessage", data={"chat_id": "42", "text": "hi"})
    assert reply == (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    violation = emulator.violations[-1]
    assert (violation.method, violation.params, violation.expected) == (
        "sendMessage",
        {"chat_id": "42", "text": "hi"},
        True,
    )


async def test_user_who_never_started_the_bot_cannot_be_written_to(http, emulator):
    user = emulator.add_user(started=False)
    with emulator.expect_violation("Forbidden: bot can't initiate conversation with a user"):
        status, _ = await api(http, emulator, "sendMessage", data={"chat_id": user.id, "text": "hi"})
    assert status == 403
    await emulator.send_text(user, "hello")
    assert (await api(http, emulator, "sendMessage", data={"chat_id": user.id, "text": "hi"}))[0] == 200


async def test_429_reply_carries_retry_after(http, emulator):
    user = emulator.add_user()
    for _ in range(3):
        await api(http, emulator, "sendMessage", data={"chat_id": user.id, "text": "hi"})
    with emulator.expect_violation(429):
        status, body = await api(http, emulator, "sendMessage", data={"chat_id": user.id, "text": "hi"})
    assert (status, body) == (
        429,
        {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
         "parameters": {"retry_after": 1}},
    )  # fmt: skip


async def updates(http, emu, **fields):
    status, body = await api(http, emu, "getUpdates", data={k: str(v) for k, v in fields.items()})
    assert status == 200
    return [u["update_id"] for u in body["result"]]


async def test_get_updates_confirms_by_offset(http, emulator):
    user = emulator.add_user()
    for text in ("one", "two", "three", "four"):
        await emulator.send_text(user, text)
    assert await updates(http, emulator) == [1, 2, 3, 4]
    assert await updates(http, emulator, offset=3, limit=1) == [3]
    assert await updates(http, emulator) == [3, 4]  # 1 and 2 are forgotten
    assert await updates(http, emulator, offset=99) == [3, 4]  # past the end: ignored, as Telegram does
    assert await updates(http, emulator, offset=-1) == [4]
    assert await updates(http, emulator, offset=5) == []
    assert emulator.pending_updates == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(http, emulator):
    user = emulator.add_user()
    poll = asyncio.create_task(updates(http, emulator, timeout=10))
    while not emulator.world.updates.polling:
        await asyncio.sleep(0.01)
    started = asyncio.get_running_loop().time()
    await emulator.send_text(user, "hi")
    assert await poll == [1]
    assert asyncio.get_running_loop().time() - started < 0.5


async def test_a_second_long_poll_terminates_the_first_with_conflict(http, emulator):
    first = asyncio.create_task(api(http, emulator, "getUpdates", data={"timeout": "10"}))
    while not emulator.world.updates.polling:
        await asyncio.sleep(0.01)
    second = asyncio.create_task(updates(http, emulator, timeout=10))
    async with emulator.expect_violation(409):
        status, body = await first
    assert (status, body["description"]) == (
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    )
    await emulator.send_text(emulator.add_user(), "hi")
    assert await second == [1]


async def test_allowed_updates_filters_what_is_queued(http, emulator):
    user = emulator.add_user()
    await updates(http, emulator, allowed_updates=json.dumps(["callback_query"]))
    await emulator.send_text(user, "ignored")
    assert emulator.pending_updates == []


async def test_group_privacy_mode_delivers_only_commands_mentions_and_replies(emulator):
    ana, ben = emulator.add_user("Ana"), emulator.add_user("Ben")
    group = emulator.add_group("Clinic", members=(ana, ben))
    await emulator.send_text(ana, "chatting", chat=group)
    await emulator.send_text(ben, "/help@aftercare_test_bot", chat=group)
    await emulator.send_text(ana, "hey @aftercare_test_bot", chat=group)
    texts = [u["message"]["text"] for u in emulator.pending_updates]
    assert texts == ["/help@aftercare_test_bot", "hey @aftercare_test_bot"]
    assert emulator.pending_updates[0]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 24}
    ]


async def test_on_bot_message_sees_sends_edits_and_deletes(http, emulator):
    user = emulator.add_user()
    seen = []
    emulator.on_bot_message(lambda message, event: seen.append((event, message.text)))
    _, sent = await api(http, emulator, "sendMessage", data={"chat_id": user.id, "text": "v1"})
    ids = {"chat_id": user.id, "message_id": sent["result"]["message_id"]}
    await api(http, emulator, "editMessageText", data={**ids, "text": "v2"})
    await api(http, emulator, "deleteMessage", data=ids)
    assert seen == [("sent", "v1"), ("edited", "v2"), ("deleted", "v2")]
    assert emulator.messages_to(user) == []


async def test_wait_for_message_times_out_with_what_the_chat_got(emulator):
    user = emulator.add_user()
    with pytest.raises(EmulatorTimeout, match="no new bot message"):
        await emulator.wait_for_message(user, timeout=0.05)


async def test_unexpected_violations_fail_the_check(http):
    async with BotApiEmulator() as emu:
        await api(http, emu, "sendMessage", data={"chat_id": "1", "text": "hi"})
        with pytest.raises(AssertionError, match="sendMessage -> 400 Bad Request: chat not found"):
            emu.assert_no_violations()
        emu.allow_violations("chat not found")
        emu.assert_no_violations()


async def test_expect_violation_fails_when_nothing_went_wrong(emulator):
    with (
        pytest.raises(AssertionError, match="expected a violation matching 'Forbidden'"),
        emulator.expect_violation("Forbidden"),
    ):
        pass
