from pathlib import Path

import pytest

from bot.guidance import Guidance, load_guidance

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_GUIDANCE = ROOT / "guidance"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def guidance() -> Guidance:
    """The shipped guidance, loaded once: it is immutable."""
    return load_guidance(SHIPPED_GUIDANCE)
