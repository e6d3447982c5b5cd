"""Shared machinery for the fault drills in bench/: the real bot as a subprocess against the Bot
API emulator in the drill's own event loop, a seeded burst of due check-ins, and a verdict taken
from the emulator's record (what Telegram would have shown each patient), cross-checked with the
database.

    async with BotApiEmulator() as emu:
        burst = seed_burst(emu, folder, patients=300)        # users, config, due check-ins
        tally = Tally(emu, burst)                             # live count of check-ins received
        bot = BotProcess(burst.config, emu.token, folder / "logs")
        await bot.start()
        ...                                                   # the fault: bot.kill(), emu.faults...
        await tally.wait_until(lambda t: t.complete(), timeout=60)
        code = await bot.stop()                               # SIGTERM; exit code or None
        verdict = tally.verdict()                             # lost / duplicated / 429s ...
        checks = crosscheck_database(burst)                   # rows left behind, read via Store

A drill adds only its fault and its table.
"""

from .botproc import BotProcess
from .burst import Burst, seed_burst
from .report import print_table
from .tally import DatabaseCheck, Tally, Verdict, crosscheck_database

__all__ = ["BotProcess", "Burst", "DatabaseCheck", "Tally", "Verdict", "crosscheck_database", "print_table", "seed_burst"]
