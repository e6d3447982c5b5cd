"""The drills: the real bot as a subprocess against the Bot API emulator in the drill's own event
loop, a fault or a kill, and a verdict from the emulator's record (what Telegram would have shown
each patient) cross-checked with the database. The tests run them small (marked `drill`); the
scripts in bench/ run them at full size and print their figures.

    restart.run_restart_drill   SIGKILLs during a burst of due check-ins
    intake.run_intake_drill     SIGKILLs while patients write
    faults.run_fault_drill      one fault (injectors: 500s, 429 storm, slow replies, database
                                locked, disk full) during a burst

Their parts, for a new drill:

    async with BotApiEmulator() as emu:
        burst = seed_burst(emu, folder, patients=300)        # users, config, due check-ins
        tally = Tally(emu, burst)                             # live count of check-ins received
        bot = BotProcess(burst.config, emu.token, folder / "logs")
        await bot.start()
        ...                                                   # the fault: bot.kill(), emu.faults...
        await tally.wait_until(lambda: tally.complete(), timeout=60)
        code, seconds = await bot.stop()                      # SIGTERM
        verdict = tally.verdict()                             # lost / duplicated / 429s ...
        checks = crosscheck_database(burst)                   # rows left behind, read via Store
"""

from .bot_process import BotProcess
from .burst import Burst, drill_folder, seed_burst
from .tally import DatabaseCheck, Tally, Verdict, crosscheck_database

__all__ = [
    "BotProcess",
    "Burst",
    "DatabaseCheck",
    "Tally",
    "Verdict",
    "crosscheck_database",
    "drill_folder",
    "seed_burst",
]
