"""The real bot (`python -m bot run --config ...`) as a child process that a drill can kill.

Each start gets its own log file, so a drill can show what the bot said before it died.
`kill()` is synchronous (SIGKILL at once) so it can be called from inside an emulator listener,
at the exact moment Telegram has accepted a message and before the bot has heard so.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class KillDrillResult:
    """What the result of a kill drill says of itself: its `records`, one a run (`crashed`, the
    exit code of a run that ended by itself), and its `problems`."""

    records: list
    problems: list[str]

    @property
    def kills(self) -> int:
        """Runs that ended by our SIGKILL."""
        return sum(1 for r in self.records if r.crashed is None)

    @property
    def ok(self) -> bool:
        return not self.problems


class BotProcess:
    def __init__(self, config: Path, token: str, logs: Path, *, cwd: Path | None = None):
        self.config = Path(config)
        self.token = token
        self.logs = Path(logs)
        self.cwd = Path(cwd) if cwd else self.config.parent
        self.starts = 0
        self.kills = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self._log_file = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def log_path(self) -> Path:
        return self.logs / f"run-{self.starts:03d}.log"

    async def start(self) -> None:
        if self.alive:
            raise RuntimeError("the bot is already running")
        self.starts += 1
        self._open_log()
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": self.token, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(self.config),
            cwd=self.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.started_at = time.monotonic()

    def kill(self) -> bool:
        """SIGKILL now; False if it was not running. Safe to call from a synchronous callback."""
        if not self.alive:
            return False
        self.proc.kill()
        self.kills += 1
        return True

    async def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if it is still running after `timeout` seconds."""
        if self.proc is None:
            return None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            return None

    async def exit_code_unless_killed(self, kills_before: int) -> int | None:
        """Wait for the bot to end: its exit code if it ended by itself (no kill since
        `kills_before`), else None."""
        code = await self.wait()
        return code if self.kills == kills_before else None

    async def stop(self, timeout: float = 5.0) -> tuple[int | None, float]:
        """SIGTERM, as a service manager stops the bot: (exit code or None if it had to be
        killed after `timeout`, seconds it took). A bot already gone: its exit code, 0 s."""
        if not self.alive:
            return (self.proc.returncode if self.proc else None), 0.0
        began = time.monotonic()
        self.proc.terminate()
        code = await self.wait(timeout)
        took = time.monotonic() - began
        if code is None:
            self.proc.kill()
            await self.proc.wait()
        self._close_log()
        return code, took

    async def ensure_dead(self) -> None:
        """Leave no child behind (a drill that failed half-way)."""
        if self.alive:
            self.proc.kill()
            await self.proc.wait()
        self._close_log()

    def log_tail(self, lines: int = 20, run: int | None = None) -> str:
        path = self.logs / f"run-{(run or self.starts):03d}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def grep_logs(self, needle: str) -> list[str]:
        """Lines of every run's log that contain `needle`."""
        found = []
        for path in sorted(self.logs.glob("run-*.log")):
            found += [line for line in path.read_text(errors="replace").splitlines() if needle in line]
        return found

    def logged_total(self, pattern: str) -> int:
        """The numbers `pattern`'s group captures in every run's log, summed."""
        found = (
            re.search(pattern, line)
            for path in sorted(self.logs.glob("run-*.log"))
            for line in path.read_text(errors="replace").splitlines()
        )
        return sum(int(match.group(1)) for match in found if match)

    def crash_problem(self, run: int, code: int) -> str:
        return f"run {run} exited by itself with code {code}:\n{self.log_tail(15, run)}"

    def stop_problems(self, code: int | None, timeout: float) -> list[str]:
        """What is wrong with how the final SIGTERM ended the bot, with the end of its log."""
        if code == 0:
            return []
        what = "did not exit" if code is None else f"exited with code {code}"
        return [f"after SIGTERM the bot {what} within {timeout:.0f} s:\n{self.log_tail(15)}"]

    def _open_log(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._close_log()
        self._log_file = self.log_path.open("wb")  # the child writes to it until it dies

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
