"""The deployment files name commands and options that really exist."""

import json
import re
import shlex

from bot.__main__ import build_parser

from .conftest import ROOT

DEPLOY = ROOT / "deploy"


def parses(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def test_the_systemd_unit_starts_the_bot_with_a_real_command():
    unit = (DEPLOY / "aftercare.service").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE).group(1)
    program, *argv = shlex.split(exec_start)
    assert program.endswith("/aftercare") and argv[0] == "run"
    assert parses(argv)
    assert "KillSignal=SIGTERM" in unit and "UMask=0077" in unit


def test_the_container_runs_a_real_command_as_a_non_root_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    entry = re.search(r'^ENTRYPOINT \["aftercare"\]$', dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.+\])$", dockerfile, re.MULTILINE).group(1)
    assert entry and parses(json.loads(cmd))
    assert re.search(r"^USER aftercare$", dockerfile, re.MULTILINE)
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
        assert (ROOT / copied).exists(), copied


def test_the_instructions_use_commands_that_exist():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = re.findall(r"bin/aftercare ([^\n]+)$", readme, re.MULTILINE)
    assert len(lines) >= 2
    for line in lines:
        argv = shlex.split(line.replace("$(date +%F)", "today"))
        assert parses(argv), line
