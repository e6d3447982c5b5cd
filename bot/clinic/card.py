"""The printable enrolment card: an A6 handout with the clinic's name, the link's QR code, one
line of instructions, the link's expiry and the emergency number.

A PNG at 300 dpi (1240 x 1748 px, the resolution stored in the file), so it prints at A6 from any
image viewer, and the same picture goes to Telegram from /enrol. The QR code is drawn pixel for
pixel (a whole number of pixels a module, never resampled) and at least 3 cm wide, so a phone
reads it from a desk. Every text comes from `guidance/messages.toml` in the clinic's language.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import segno
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from bot.clinic.enrolment import EnrolmentError
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance
from bot.privacy.private_files import write_private
from bot.render.html import message, plain

MM_PER_INCH = 25.4
A6_MM = (105.0, 148.0)
DPI = 300
QR_WIDTH_MM = 56.0  # the code with its quiet zone (4 modules a side): about 4.5 cm of black and white
QR_TOP = 0.81  # the code's top edge, as a fraction of the card's height
EMERGENCY_COLOUR = "#b03a2e"
# Characters a line at each size holds across the card's 85 mm between its margins.
LINE_CHARACTERS = {20: 24, 13: 34}


def card_png(link: str, expires_at: float, clinic: Clinic, guidance: Guidance) -> bytes:
    """The card for `link` (expiring at `expires_at`, Unix seconds) as PNG bytes."""
    figure = _card_figure(link, expires_at, clinic, guidance)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a clinic name in a script the font lacks draws as boxes; not worth a log line
        warnings.filterwarnings("ignore", message="Glyph", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def qr_modules(link: str) -> np.ndarray:
    """The link's QR code as a matrix of dark (1) and light (0) modules, quiet zone included."""
    code = segno.make(link, error="m", micro=False)
    return np.pad(np.array(code.matrix, dtype=np.uint8), 4)


def _card_figure(link: str, expires_at: float, clinic: Clinic, guidance: Guidance) -> Figure:
    width_in, height_in = (mm / MM_PER_INCH for mm in A6_MM)
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    language = clinic.language
    # A thin rounded frame to cut along when the card is printed on a larger sheet.
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
    _write(figure, 0.93, clinic.name, 20, bold=True)
    _write(figure, 0.845, message(guidance, "card_heading", language), 13)
    qr_bottom = _draw_qr(figure, link)
    expires = datetime.fromtimestamp(expires_at, clinic.timezone).strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        (message(guidance, "card_instructions", language), 13, False, "black"),
        (message(guidance, "card_expires", language, expires=expires.strip()), 13, True, "black"),
        (
            message(guidance, "card_emergency", language, emergency_number=clinic.emergency_number),
            13,
            True,
            EMERGENCY_COLOUR,
        ),
    ]
    top = qr_bottom - 0.035
    for text, size, bold, colour in lines:
        top = _write(figure, top, text, size, bold=bold, colour=colour) - 0.025
    return figure


def _draw_qr(figure: Figure, link: str) -> float:
    """The QR code, centred, a whole number of pixels a module; returns its bottom edge (figure
    fraction)."""
    modules = qr_modules(link)
    width_px, height_px = (round(mm / MM_PER_INCH * DPI) for mm in A6_MM)
    scale = max(1, round(QR_WIDTH_MM / MM_PER_INCH * DPI) // modules.shape[0])
    pixels = np.kron(1 - modules, np.ones((scale, scale), dtype=np.uint8)).astype(float)
    size = pixels.shape[0]
    left, bottom = (width_px - size) // 2, round(QR_TOP * height_px) - size
    figure.figimage(pixels, xo=left, yo=bottom, cmap="gray", vmin=0, vmax=1, origin="upper")
    return bottom / height_px


def _write(
    figure: Figure, top: float, text: str, size: int, *, bold: bool = False, colour: str = "black"
) -> float:
    """Centred lines from `top` down (figure fraction), wrapped to the card; returns their bottom."""
    wrapped = textwrap.fill(plain(text), LINE_CHARACTERS[size])
    height = (wrapped.count("\n") + 1) * size * 1.3 / 72 / (A6_MM[1] / MM_PER_INCH)
    figure.text(
        0.5,
        top,
        wrapped,
        ha="center",
        va="top",
        fontsize=size,
        fontweight="bold" if bold else "normal",
        color=colour,
        linespacing=1.3,
        parse_math=False,
    )
    return top - height


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
