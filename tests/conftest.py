import fcntl
import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from bot.guidance.loader import load_guidance
from bot.guidance.model import Guidance

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_GUIDANCE = ROOT / "guidance"
SHARED = ROOT.parent / "shared"  # the clinical spec and the dev cases, beside the checkout


def require_shared(path: Path) -> Path:
    """`path` under ../shared, or the test skips saying which file it needs."""
    if not path.exists():
        pytest.skip(f"needs ../shared/{path.relative_to(SHARED).as_posix()} beside the project")
    return path


def _files_of(root: Path) -> tuple:
    """What identifies a guidance folder's contents: each file's path, size and modification."""
    return tuple(
        sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file())
    )


@pytest.fixture(scope="session", autouse=True)
def guidance_read_once_per_folder():
    """The bot loads its guidance at each start and enrolment, a third of a second each time: most
    of an end-to-end test. Inside bot/, a folder whose files have not changed gives the Guidance
    already loaded from it (immutable, as the `guidance` fixture shares it); an edited copy is
    loaded afresh. Tests that call load_guidance themselves still read the files every time."""
    from bot.guidance import loader

    read = loader.load_guidance
    loaded: dict[tuple, Guidance] = {}

    def load_guidance(root: Path) -> Guidance:
        key = (str(Path(root).resolve()), _files_of(Path(root)))
        if key not in loaded:
            loaded[key] = read(root)
        return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        for name, module in list(sys.modules.items()):
            if name.startswith("bot.") and getattr(module, "load_guidance", None) is read:
                patch.setattr(module, "load_guidance", load_guidance)
        yield


@pytest.fixture(autouse=True)
def drills_run_alone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """With -n, a drill runs while no other test does, and other tests run side by side: a drill's
    timing depends on the CPU it gets. Any test holds the run's lock file shared, a drill alone."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    alone = request.node.get_closest_marker("drill") is not None
    with (tmp_path_factory.getbasetemp().parent / "drill.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        yield


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
