"""The faults of the drills in tests/drills/faults.py: Telegram failing (500s, a 429 storm, slow
replies) through the emulator's `faults`, and the database failing (locked by another process,
the disk under it full) from outside the bot, as an operator's mistake or a full disk would."""

from __future__ import annotations

import asyncio
import errno
import resource
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from .faults import DrillRun, Fault, FaultResult

BUSY_TIMEOUT = 5.0  # bot/store/database.py: PRAGMA busy_timeout = 5000
TELEGRAM_BACK = "Telegram back after"
DATABASE_DOWN, DATABASE_BACK = "database unavailable", "database back after"


def _gaps(times: list[float]) -> float:
    """The longest pause between consecutive moments, 0 for fewer than two."""
    times = sorted(times)
    return max((b - a for a, b in pairwise(times)), default=0.0)


class ServerErrors(Fault):
    """Every Bot API call but getUpdates answered 500 for `seconds`."""

    name = "five-hundred"
    says = ("Telegram server error", TELEGRAM_BACK)

    def __init__(self, seconds: float = 60.0):
        self.seconds = seconds
        self.title = f"Bot API answers 500 for {seconds:.0f} s"

    @property
    def recover_within(self) -> float:
        # Each message is retried after 2, 4, 8 ... s: the last wait before the end is at most
        # about as long as the fault itself.
        return self.seconds + 60.0

    async def begin(self, run: DrillRun) -> None:
        run.emu.faults.fail_for(self.seconds, 500)

    async def end(self, run: DrillRun) -> None:
        run.emu.faults.clear()


class RateLimitStorm(Fault):
    """Every message-sending call answered 429 with `retry_after` for `seconds`."""

    name = "storm-429"
    # PTB's rate limiter waits out up to 3 answers of 429 itself (and logs each at INFO);
    # the bot's own line comes when a storm outlasts them.
    says = (("Telegram rate limited", "Rate limit hit"), TELEGRAM_BACK)

    def must_say(self, run: DrillRun) -> tuple[str | tuple[str, ...], ...]:
        return self.says[:1]  # the recovery line only follows the bot's own one

    def __init__(self, seconds: float = 30.0, retry_after: int = 5):
        self.seconds, self.retry_after = seconds, retry_after
        self.title = f"429 storm for {seconds:.0f} s, retry_after {retry_after} s"

    @property
    def allowed(self) -> float:
        """Calls the storm may see from a bot that honours retry_after (one per retry_after,
        and one at each edge), with half as much again for slack."""
        return 1.5 * self.seconds / self.retry_after + 2

    async def begin(self, run: DrillRun) -> None:
        run.emu.faults.storm_429(self.seconds, self.retry_after)

    async def end(self, run: DrillRun) -> None:
        run.emu.faults.clear()

    def _sends(self, result: FaultResult) -> list[float]:
        return [c.at for c in result.calls if c.status == 429 and c.injected]

    def figures(self, result: FaultResult) -> list[tuple[str, object]]:
        sends = self._sends(result)
        return [
            (
                "calls answered 429 during the storm",
                (
                    f"{len(sends)} ({len(sends) / self.seconds:.2f}/s; "
                    f"honouring retry_after allows <= {self.allowed:.0f})"
                ),
            ),
            ("shortest pause between them", f"{min((b - a for a, b in pairwise(sends)), default=0.0):.2f} s"),
        ]

    def problems(self, result: FaultResult) -> list[str]:
        sends = self._sends(result)
        shortest = min((b - a for a, b in pairwise(sends)), default=self.retry_after)
        if len(sends) > self.allowed or shortest < 0.9 * self.retry_after:
            return [
                f"the bot hammered the API: {len(sends)} calls in a {self.seconds:.0f} s storm with "
                f"retry_after {self.retry_after} s (at most {self.allowed:.0f} expected), two of them "
                f"{shortest:.2f} s apart"
            ]
        return []


class SlowReplies(Fault):
    """sendMessage carried out but answered `delay` s late for `seconds` (PTB gives up after 5 s)."""

    name = "slow"
    says = ("Telegram not answering in time", TELEGRAM_BACK)

    def __init__(self, seconds: float = 30.0, delay: float = 10.0):
        self.seconds, self.delay = seconds, delay
        self.title = f"sendMessage answered {delay:.0f} s late for {seconds:.0f} s"

    async def begin(self, run: DrillRun) -> None:
        run.emu.faults.delay(self.delay, ["sendMessage"])

    async def end(self, run: DrillRun) -> None:
        run.emu.faults.clear()

    def _late(self, result: FaultResult) -> int:
        return sum(1 for c in result.calls if c.method == "sendMessage" and c.ok)

    def figures(self, result: FaultResult) -> list[tuple[str, object]]:
        return [
            ("sends answered late (client timed out)", self._late(result)),
            ("duplicates <= late sends", "yes" if result.verdict.duplicated <= self._late(result) else "NO"),
        ]

    def problems(self, result: FaultResult) -> list[str]:
        late = self._late(result)
        if result.verdict.duplicated > late:
            return [f"{result.verdict.duplicated} duplicates, more than the {late} sends answered late"]
        return []


LOCKER = """
import select, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=15, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
began = time.monotonic()
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))  # until the drill says, or the hard limit
db.execute("COMMIT")
print(f"held {time.monotonic() - began:.2f}", flush=True)
"""


class DatabaseLocked(Fault):
    """Another process holds BEGIN EXCLUSIVE on the bot's database for `seconds`."""

    name = "db-locked"
    says = (DATABASE_DOWN, DATABASE_BACK)

    def __init__(self, seconds: float = 5.0):
        self.seconds = seconds
        self.title = f"database locked (BEGIN EXCLUSIVE) by another process for {seconds:.0f} s"
        self.held = 0.0
        self._proc: asyncio.subprocess.Process | None = None

    def must_say(self, run: DrillRun) -> tuple[str, ...]:
        # Within the bot's busy_timeout a write just waits for the lock: nothing fails.
        return self.says if self.seconds > BUSY_TIMEOUT else ()

    async def begin(self, run: DrillRun) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOCKER,
            str(run.burst.database),
            str(self.seconds + 30),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        line = await asyncio.wait_for(self._proc.stdout.readline(), 20)
        if line.strip() != b"locked":
            raise RuntimeError(f"the locking process did not get the lock: {line!r}")

    async def end(self, run: DrillRun) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            out = await asyncio.wait_for(proc.stdout.read(), 40)
            self.held = float(out.split()[-1]) if out.startswith(b"held") else 0.0
            await asyncio.wait_for(proc.wait(), 10)
        finally:
            # Only a process still running is killed: Popen.kill() polls first and would reap
            # an exited child under asyncio's watcher ("Unknown child process pid").
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    def figures(self, result: FaultResult) -> list[tuple[str, object]]:
        sends = [c.at for c in result.calls if c.method == "sendMessage"]
        told = "required" if self.seconds > BUSY_TIMEOUT else "not required (the lock is within busy_timeout)"
        return [
            ("lock held", f"{self.held:.2f} s (bot's busy_timeout {BUSY_TIMEOUT:.0f} s)"),
            ("longest pause in sends during the lock", f"{_gaps([*result.window, *sends]):.1f} s"),
            ("a database error line", told),
        ]


class DiskFull(Fault):
    """The filesystem under the database fills up for `seconds`, then space comes back.

    `tmpfs`: the database lives on a tmpfs of `size_mb` (mounted for the drill); a ballast file
    fills it and is deleted to end the fault. `fsize` (when mounting is not permitted): the bot's
    own file-size limit (RLIMIT_FSIZE, set on the running process with prlimit) is lowered to
    the database's current size, so no file of it can grow; raised again to end the fault.
    """

    name = "disk-full"
    says = (DATABASE_DOWN, DATABASE_BACK)
    CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1 << 9)

    def __init__(self, seconds: float = 10.0, method: str = "auto", size_mb: int = 16):
        self.seconds, self.wanted, self.size_mb = seconds, method, size_mb
        self.method = ""
        self.title = f"disk full under the database for {seconds:.0f} s"
        self.mount: Path | None = None
        self.ballast_bytes = 0
        self.limit = 0
        self._soft = resource.RLIM_INFINITY

    def data_folder(self, folder: Path) -> Path:
        disk = folder / "disk"
        disk.mkdir(parents=True, exist_ok=True)
        if self.wanted in ("auto", "tmpfs"):
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,mode=0700", "tmpfs", str(disk)],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
            if done.returncode == 0:
                self.mount, self.method = disk, f"tmpfs of {self.size_mb} MB filled by a ballast file"
                return disk
            if self.wanted == "tmpfs":
                raise RuntimeError(f"cannot mount a tmpfs: {done.stderr.strip()}")
        self.method = (
            "RLIMIT_FSIZE on the bot (mounting not permitted)"
            if self.wanted == "auto"
            else "RLIMIT_FSIZE on the bot"
        )
        return disk

    async def begin(self, run: DrillRun) -> None:
        if self.mount is not None:
            self.ballast_bytes = self._fill(self.mount / "ballast")
        else:
            # The soft limit only: raising it again needs no privilege (the hard one would).
            self.limit = run.burst.database.stat().st_size
            self._soft, hard = resource.prlimit(run.bot.proc.pid, resource.RLIMIT_FSIZE)
            resource.prlimit(run.bot.proc.pid, resource.RLIMIT_FSIZE, (self.limit, hard))

    def _fill(self, path: Path) -> int:
        """Write until the filesystem refuses (bounded: it is size_mb large)."""
        written = 0
        with path.open("wb", buffering=0) as ballast:
            for chunk in self.CHUNKS:
                block = b"\0" * chunk
                for _ in range(self.size_mb * (1 << 20) // chunk + 1):
                    try:
                        written += ballast.write(block)
                    except OSError as error:
                        if error.errno != errno.ENOSPC:
                            raise
                        break
        return written

    async def end(self, run: DrillRun) -> None:
        if self.mount is not None:
            (self.mount / "ballast").unlink(missing_ok=True)
        elif self.limit and run.bot.alive:
            hard = resource.prlimit(run.bot.proc.pid, resource.RLIMIT_FSIZE)[1]
            resource.prlimit(run.bot.proc.pid, resource.RLIMIT_FSIZE, (self._soft, hard))

    def cleanup(self) -> None:
        if self.mount is not None:
            done = subprocess.run(["umount", str(self.mount)], capture_output=True, timeout=20, check=False)
            if done.returncode != 0:
                subprocess.run(
                    ["umount", "-l", str(self.mount)], capture_output=True, timeout=20, check=False
                )
            self.mount = None

    def figures(self, result: FaultResult) -> list[tuple[str, object]]:
        made = (
            f"ballast {self.ballast_bytes / (1 << 20):.1f} MB"
            if self.ballast_bytes
            else f"limit {self.limit} bytes"
        )
        return [("how the disk was filled", f"{self.method}; {made}")]


FAULTS = {cls.name: cls for cls in (ServerErrors, RateLimitStorm, SlowReplies, DatabaseLocked, DiskFull)}
__all__ = ["FAULTS", "DatabaseLocked", "DiskFull", "RateLimitStorm", "ServerErrors", "SlowReplies"]
