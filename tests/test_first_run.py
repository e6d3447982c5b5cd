"""The first `scripts/...` run says, in one line on stderr, that it is setting up .venv, and later runs
say nothing. Run on a copy of scripts/ with a fake `python3` on PATH: the real install takes about
30 s and needs the package index, while what is under test is the script's own behaviour (when it
installs, what it says, that the command's output stays its own)."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

from .conftest import ROOT

# `python3 -m venv DIR` makes DIR/bin/python, which logs its pip calls, and DIR/bin/aftercare.
FAKE_PYTHON3 = """#!/usr/bin/env bash
set -eu
[ "$1 $2" = "-m venv" ] || exit 9
mkdir -p "$3/bin"
printf '#!/usr/bin/env bash\\necho "$*" >> "%s/pip.log"\\n' "$3" > "$3/bin/python"
printf '#!/usr/bin/env bash\\necho "aftercare $*"\\n' > "$3/bin/aftercare"
chmod +x "$3/bin/python" "$3/bin/aftercare"
"""


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "aftercare"
    shutil.copytree(ROOT / "scripts", root / "scripts")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    fake = tmp_path / "bin" / "python3"
    fake.parent.mkdir()
    fake.write_text(FAKE_PYTHON3, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return root


def aftercare(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{root.parent / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(root / "scripts" / "aftercare"), *args], capture_output=True, text=True, env=env, timeout=30
    )


def test_the_first_run_says_it_is_setting_up_and_later_runs_say_nothing(tmp_path):
    root = checkout(tmp_path)

    first = aftercare(root, "--version")
    assert first.returncode == 0, first.stderr
    assert first.stderr == "Setting up .venv (first run, about 30 s)...\n"
    assert first.stdout == "aftercare --version\n"  # the command's output, untouched
    assert (root / ".venv" / "pip.log").read_text(encoding="utf-8").splitlines() == [
        "-m pip install --quiet --upgrade pip",
        f"-m pip install --quiet -e {root}[test]",
    ]

    again = aftercare(root, "demo")
    assert (again.returncode, again.stderr, again.stdout) == (0, "", "aftercare demo\n")
    assert len((root / ".venv" / "pip.log").read_text(encoding="utf-8").splitlines()) == 2  # no reinstall


def test_a_changed_pyproject_says_it_is_updating(tmp_path):
    root = checkout(tmp_path)
    assert aftercare(root).returncode == 0
    with (root / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write("\n# a new dependency\n")

    updated = aftercare(root, "check-config")
    assert updated.stderr == "Updating .venv (pyproject.toml changed, about 30 s)...\n"
    assert updated.stdout == "aftercare check-config\n"
    assert len((root / ".venv" / "pip.log").read_text(encoding="utf-8").splitlines()) == 4
