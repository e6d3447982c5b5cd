from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from bot.guidance.loader import Guidance, load_guidance

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_GUIDANCE = ROOT / "guidance"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def guidance() -> Guidance:
    """The shipped guidance, loaded once: it is immutable."""
    return load_guidance(SHIPPED_GUIDANCE)


@pytest.fixture
async def emulator():
    """A local Bot API server; the test fails if the bot broke a Telegram rule it did not expect."""
    async with BotApiEmulator() as emu:
        yield emu
        emu.assert_no_violations()


@pytest.fixture
async def make_bot(emulator, tmp_path):
    """A factory for the running bot (tests/harness.py): `h = await make_bot(**clinic_settings)`."""
    from .harness import running_bot

    async with AsyncExitStack() as stack:
        async def make(real_time=False, **clinic):
            return await stack.enter_async_context(running_bot(emulator, tmp_path, real_time, **clinic))

        yield make
