"""The printable enrolment card: an A6 handout with the clinic's name, the link's QR code, one
line of instructions, the link's expiry and the emergency number.

A PNG at 300 dpi (1240 x 1748 px, the resolution stored in the file), so it prints at A6 from any
image viewer, and the same picture goes to Telegram from /enrol. The QR code is drawn pixel for
pixel (a whole number of pixels a module, never resampled) and at least 3 cm wide, so a phone
reads it from a desk. Every text comes from `guidance/messages.toml` in the clinic's language.
"""

from __future__ import annotations

import io
import math
import warnings
from datetime import datetime
from pathlib import Path

import segno
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import imread
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text

from bot.clinic.enrolment import EnrolmentError
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.privacy.private_files import write_private
from bot.render.html import message, plain

MM_PER_INCH = 25.4
A6_MM = (105.0, 148.0)
DPI = 300
WIDTH_PX, HEIGHT_PX = (round(mm / MM_PER_INCH * DPI) for mm in A6_MM)
MARGIN_PX = round(10 / MM_PER_INCH * DPI)  # 10 mm of white above and below the texts
SIDE_PX = round(7 / MM_PER_INCH * DPI)  # and 7 mm each side, inside the 3 mm cutting frame
QR_WIDTH_MM = 56.0  # the code with its quiet zone: about 4.5 cm of black and white
QUIET_ZONE = 4  # light modules round the code, as the QR standard asks
MIN_QR_CM = 3.0  # the code's dark square at least this wide: a phone reads it from a desk
NAME_SIZE, TEXT_SIZE = 20, 13  # points
GAP_PX = 40  # between one block and the next
EMERGENCY_COLOUR = "#b03a2e"


def card_png(link: str, expires_at: float, clinic: Clinic, guidance: Guidance) -> bytes:
    """The card for `link` (expiring at `expires_at`, Unix seconds) as PNG bytes."""
    figure = card_figure(link, expires_at, clinic, guidance)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a clinic name in a script the font lacks draws as boxes; not worth a log line
        warnings.filterwarnings("ignore", message="Glyph", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def card_figure(link: str, expires_at: float, clinic: Clinic, guidance: Guidance) -> Figure:
    """The card as a matplotlib Figure (tests read its texts back): the texts are wrapped and
    measured first, then laid out from the top with the QR code as large as the room left allows
    (at most QR_WIDTH_MM, never under 3 cm), so a long name or text never runs off the card."""
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    _frame(figure)

    def say(key: str, **values: object) -> str:
        return plain(message(guidance, key, clinic.language, **values))

    expires = expiry_date(expires_at, clinic, guidance).replace(" ", "\u00a0")  # kept on one line

    above = [  # (text, gap below it)
        (_text(figure, clinic.name, NAME_SIZE, bold=True), GAP_PX // 2),
        (_text(figure, say("card_heading"), TEXT_SIZE), 0),  # the code's quiet zone is white already
    ]
    emergency = say("card_emergency", emergency_number=clinic.emergency_number)
    below = [
        (_text(figure, say("card_instructions"), TEXT_SIZE), GAP_PX),
        (_text(figure, say("card_expires", expires=expires), TEXT_SIZE, bold=True), GAP_PX),
        (_text(figure, emergency, TEXT_SIZE, bold=True, colour=EMERGENCY_COLOUR), 0),
    ]
    renderer = canvas.get_renderer()
    heights = [text.get_window_extent(renderer).height + gap for text, gap in above + below]
    top = float(HEIGHT_PX - MARGIN_PX)
    for text, gap in above:
        top = _place(text, top, renderer) - gap
    room = top - MARGIN_PX - GAP_PX // 2 - sum(heights[len(above) :])
    top = _draw_qr(figure, link, top, room) - GAP_PX // 2
    for text, gap in below:
        top = _place(text, top, renderer) - gap
    return figure


def expiry_date(expires_at: float, clinic: Clinic, guidance: Guidance) -> str:
    """The link's expiry as a patient reads it, in the clinic's time and language ("7 Dec 2026,
    19:29"): the month's name from messages.toml, never the server's locale."""
    when = datetime.fromtimestamp(expires_at, clinic.timezone)
    month = plain(message(guidance, f"month_{when.month}", clinic.language))
    values = {"day": when.day, "month": month, "year": when.year, "time": f"{when:%H:%M}"}
    return plain(message(guidance, "card_date", clinic.language, **values))


def _frame(figure: Figure) -> None:
    """A thin rounded frame to cut along when the card is printed on a larger sheet."""
    figure.patches.append(
        FancyBboxPatch(
            (0.03, 0.02),
            0.94,
            0.96,
            boxstyle="round,pad=0,rounding_size=0.03",
            transform=figure.transFigure,
            facecolor="none",
            edgecolor="#bbbbbb",
            linewidth=1,
        )
    )


def _draw_qr(figure: Figure, link: str, top: float, room: float) -> float:
    """The QR code, centred under `top` (pixels from the bottom) in at most `room` pixels of
    height, a whole number of pixels a module; returns its bottom edge."""
    code = segno.make(link, error="m", micro=False)
    modules, _ = code.symbol_size(scale=1, border=QUIET_ZONE)
    widest = round(QR_WIDTH_MM / MM_PER_INCH * DPI) // modules
    narrowest = math.ceil(MIN_QR_CM * 10 / MM_PER_INCH * DPI / (modules - 2 * QUIET_ZONE))
    scale = max(narrowest, min(widest, int(room // modules)))
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    buffer.seek(0)
    pixels = imread(buffer, format="png")
    size = pixels.shape[0]
    bottom = round(top) - size
    figure.figimage(pixels, xo=(WIDTH_PX - size) // 2, yo=bottom, cmap="gray", vmin=0, vmax=1, origin="upper")
    return bottom


def _text(figure: Figure, text: str, size: int, *, bold: bool = False, colour: str = "black") -> Text:
    """Plain text in centred lines, wrapped to the card between its margins by their measured
    width; placed later."""
    font = FontProperties(size=size, weight="bold" if bold else "normal")
    canvas = figure.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # card_figure draws with Agg
    renderer = canvas.get_renderer()

    def width(line: str) -> float:
        return renderer.get_text_width_height_descent(line, font, ismath=False)[0]

    lines: list[str] = []
    for word in filter(None, text.replace("\n", " ").split(" ")):  # never at a no-break space
        if lines and width(f"{lines[-1]} {word}") <= WIDTH_PX - 2 * SIDE_PX:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return figure.text(
        0.5,
        0,
        "\n".join(lines),
        ha="center",
        va="top",
        fontproperties=font,
        color=colour,
        linespacing=1.3,
        parse_math=False,
    )


def _place(text: Text, top: float, renderer: RendererAgg) -> float:
    """Put `text` with its top at `top` (pixels from the bottom); returns its bottom."""
    text.set_y(top / HEIGHT_PX)
    return top - text.get_window_extent(renderer).height


def card_path(name: str | Path) -> Path:
    """Where to write a card, as given: it must name a .png file (checked before a token is made)."""
    path = Path(name)
    if path.suffix.lower() != ".png":
        raise EnrolmentError(f"the card is a PNG picture: name it .png, not {path.name!r}")
    return path


def write_card(link: str, expires_at: float, clinic: Clinic, guidance: Guidance, path: str | Path) -> Path:
    """Write the card at `path` (a .png; folders made as needed), for its owner alone: the code
    is a live enrolment token."""
    path = card_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, card_png(link, expires_at, clinic, guidance))
    except OSError as error:
        raise EnrolmentError(f"cannot write the card to {path}: {error.strerror or error}") from None
    return path
