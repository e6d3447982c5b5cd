"""The printable enrolment card: an A6 PNG at 300 dpi whose QR code (at least 3 cm wide) decodes
back to the enrolment link, with the clinic's name, the instructions, the expiry in clinic time
and the emergency number; written by `aftercare enrol --card` and sent by /enrol."""

import dataclasses
import io
import itertools
import json
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from bot.clinic import card
from bot.clinic.enrolment import EnrolmentError, deep_link, new_token
from bot.render.html import plain
from bot.store.database import Store

from . import test_enrolment as enrolment
from .harness import START
from .test_staff_telegram import ENROL_LINK, press, shown

config = enrolment.config  # the fixture: a clinic config in a temporary folder
run, enrol_args = enrolment.run, enrolment.cli_args
A6_PIXELS = (1240, 1748)  # 105 x 148 mm at 300 dpi
EXPIRES = START + 24 * 3600


def decoded(png: bytes) -> tuple[str, float, tuple[int, int], float]:
    """What a phone reads from the picture: the one QR code's text, its width in cm at the
    picture's own resolution, the picture's size in pixels and its resolution."""
    image = Image.open(io.BytesIO(png))
    dpi = image.info["dpi"][0]
    [found] = zxingcpp.read_barcodes(image)
    corners = found.position
    xs = [p.x for p in (corners.top_left, corners.top_right, corners.bottom_left, corners.bottom_right)]
    return found.text, (max(xs) - min(xs)) / dpi * 2.54, image.size, dpi


def card_texts(link, clinic, guidance, expires_at=EXPIRES):
    """The card's texts as printed, each unwrapped to one line."""
    figure = card.card_figure(link, expires_at, clinic, guidance)
    return [" ".join(t.get_text().split()) for t in figure.texts]


def message(guidance, key, language, **values):
    return plain(guidance.message(key, language).format(**values))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_card_is_a6_with_a_qr_of_3_cm_or_more_that_reads_back_as_the_link(config, guidance, language):
    clinic = dataclasses.replace(config.clinics[0], language=language)
    link = deep_link("aftercare_test_bot", new_token())
    text, width_cm, size, dpi = decoded(card.card_png(link, EXPIRES, clinic, guidance))
    assert text == link
    assert size == A6_PIXELS and round(dpi) == 300
    assert 3.0 <= width_cm <= 8.0  # scans from a desk, and fits the card's 10.5 cm
    expires = {"en": "24 Nov 2026, 10:00", "es": "24 nov 2026, 10:00"}[language]  # clinic time
    assert card_texts(link, clinic, guidance) == [
        "Harbour Physio",
        message(guidance, "card_heading", language),
        message(guidance, "card_instructions", language),
        message(guidance, "card_expires", language, expires=expires),
        message(guidance, "card_emergency", language, emergency_number="999"),
    ]
    emergency = card.card_figure(link, EXPIRES, clinic, guidance).texts[-1]
    assert emergency.get_color() == card.EMERGENCY_COLOUR and emergency.get_fontweight() == "bold"


# (local time in the clinic's zone, language, the expiry as printed)
EXPIRY_DATES = [
    (datetime(2026, 12, 7, 19, 29), "en", "7 Dec 2026, 19:29"),
    (datetime(2026, 12, 7, 19, 29), "es", "7 dic 2026, 19:29"),
    (datetime(2027, 1, 1, 0, 5), "es", "1 ene 2027, 00:05"),
    (datetime(2027, 7, 15, 9, 0), "en", "15 Jul 2027, 09:00"),  # summer time: the clinic's clock
    (datetime(2027, 8, 31, 23, 59), "es", "31 ago 2027, 23:59"),
]


@pytest.mark.parametrize("local, language, printed", EXPIRY_DATES)
def test_the_expiry_reads_as_a_date_in_the_clinics_language(config, guidance, local, language, printed):
    clinic = dataclasses.replace(config.clinics[0], language=language)
    expires_at = local.replace(tzinfo=clinic.timezone).timestamp()
    assert card.expiry_date(expires_at, clinic, guidance) == printed
    lead = message(guidance, "card_expires", language, expires="")
    [shown] = [t for t in card_texts("https://t.me/x_bot?start=T", clinic, guidance, expires_at) if lead in t]
    assert shown == lead + printed
    figure = card.card_figure("https://t.me/x_bot?start=T", expires_at, clinic, guidance)
    dated = [t for t in figure.texts if printed.replace(" ", "\u00a0") in t.get_text()]
    assert len(dated) == 1  # the date is never wrapped: no-break spaces inside it


def test_every_shipped_language_names_its_twelve_months(guidance):
    for language in ("en", "es", "de"):
        names = [guidance.message(f"month_{n}", language) for n in range(1, 13)]
        assert len(set(names)) == 12 and all(name.strip() for name in names)


@pytest.mark.parametrize(
    "name, link",
    [
        ("Smith & Jones <Physio>", deep_link("aftercare_test_bot", "T" * 32)),  # shown as written
        # a long name, Telegram's longest username and start payload: a larger code in less room
        ("The Harbour Physiotherapy and Sports Injury Centre", deep_link("a" * 32, "T" * 64)),
    ],
)
def test_every_block_of_the_card_stays_on_it_and_clear_of_the_others(config, guidance, name, link):
    clinic = dataclasses.replace(config.clinics[0], name=name, language="es")
    figure = card.card_figure(link, EXPIRES, clinic, guidance)
    figure.canvas.draw()
    [code] = figure.images
    left, right, bottom, top = code.get_extent()
    blocks = [(t.get_window_extent().y0, t.get_window_extent().y1) for t in figure.texts]
    blocks.insert(2, (bottom, top))  # name, heading, the code, instructions, expiry, emergency
    assert all(upper[0] >= lower[1] for upper, lower in itertools.pairwise(blocks))  # top down, apart
    assert blocks[-1][0] >= 0.02 * figure.bbox.height  # above the cutting frame
    for text in figure.texts:
        extent = text.get_window_extent()
        assert figure.bbox.x0 < extent.x0 and extent.x1 < figure.bbox.x1, text.get_text()
    assert name in " ".join(figure.texts[0].get_text().split())  # wrapped, never cut
    text, width_cm, _, _ = decoded(card.card_png(link, EXPIRES, clinic, guidance))
    assert text == link and width_cm >= 3


def test_a_card_is_a_png_by_name_and_private(config, guidance, tmp_path):
    with pytest.raises(EnrolmentError, match="the card is a PNG picture: name it .png, not 'card.pdf'"):
        card.card_path("out/card.pdf")
    link = deep_link("aftercare_test_bot", new_token())
    path = card.write_card(link, EXPIRES, config.clinics[0], guidance, tmp_path / "cards" / "ana.png")
    assert path.stat().st_mode & 0o777 == 0o600 and decoded(path.read_bytes())[0] == link
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(EnrolmentError, match="cannot write the card to"):
        card.write_card(link, EXPIRES, config.clinics[0], guidance, blocker / "card.png")


# ---- aftercare enrol --card


def test_enrol_card_writes_the_card_of_the_printed_link(config, tmp_path):
    path = tmp_path / "print" / "card.png"
    code, out = run(
        enrol_args(config, "--no-qr", "--card", str(path), "--bot-username", "aftercare_test_bot")
    )
    link = out.splitlines()[0]
    assert code == 0 and link.startswith("https://t.me/aftercare_test_bot?start=")
    assert f"Card: {path}" in out.splitlines()
    text, width_cm, size, _ = decoded(path.read_bytes())
    assert (text, size) == (link, A6_PIXELS) and width_cm >= 3
    assert path.stat().st_mode & 0o777 == 0o600  # a live token

    code, out = run(
        enrol_args(config, "--json", "--card", str(tmp_path / "c2.png"), "--bot-username", "x_bot_1")
    )
    result = json.loads(out)
    assert code == 0 and result["card"] == str(tmp_path / "c2.png")
    assert decoded((tmp_path / "c2.png").read_bytes())[0] == result["link"]
    code, out = run(enrol_args(config, "--json", "--no-qr", "--bot-username", "x_bot_1"))
    assert json.loads(out)["card"] is None


def test_enrol_refuses_a_card_that_is_not_a_png_before_making_a_token(config, tmp_path, capsys):
    code, out = run(enrol_args(config, "--card", str(tmp_path / "card.pdf"), "--bot-username", "x_bot_1"))
    assert code == 2 and out == ""
    assert "the card is a PNG picture: name it .png, not 'card.pdf'" in capsys.readouterr().err
    store = Store(config.storage.database)
    try:
        assert store.db["enrol_tokens"].count == 0
    finally:
        store.close()


# ---- /enrol in Telegram


async def test_the_enrol_wizard_sends_the_card_of_its_link(make_bot):
    h = await make_bot()
    emu, dana = h.emu, h.practitioner
    await emu.send_text(dana, "/enrol")
    flow = await emu.wait_for_message(dana)
    for label, screen in (
        ("Calf", lambda: flow.button(text="✓ Calf")),
        ("Done", lambda: flow.button(text="Light")),
        ("Light", lambda: flow.button(text="Neither")),
        ("Neither", lambda: flow.button(text="Yes")),
        ("No", lambda: flow.keyboard == []),
    ):
        h.advance(1)  # a person's pace: Telegram allows one edit a second per chat
        await press(emu, dana, flow, text=label)
        await shown(screen)
    token = ENROL_LINK.search(flow.text).group(1)
    picture = await emu.wait_for_message(dana, lambda m: m.photo)
    link = f"https://t.me/aftercare_test_bot?start={token}"
    assert picture.text == link  # the caption: the link, to copy
    text, width_cm, size, _ = decoded(picture.photo.data)
    assert (text, size) == (link, A6_PIXELS) and width_cm >= 3
    expires_at = h.store.enrol_token(token)["expires_at"]
    when = datetime.fromtimestamp(expires_at, h.clinic.timezone)
    expires = f"{when.day} {when:%b %Y, %H:%M}"  # "24 Nov 2026, 10:00": English months match %b here
    assert f"Scan before {expires}" in card_texts(link, h.clinic, h.services.guidance("harbour"), expires_at)
