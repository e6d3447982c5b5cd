"""The deployment files name commands and options that really exist."""

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
        argv = shlex.split(re.sub(r"\$\(date [^)]*\)", "today", line))
        assert parses(argv), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_the_systemd_unit_exposes_little():
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(DEPLOY / "aftercare.service")],
        capture_output=True, text=True, timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found.group(1)) <= 2.0, result.stdout


def _locked() -> dict[str, str]:
    lock = (DEPLOY / "requirements.lock").read_text(encoding="utf-8")
    entries = re.findall(r"^([a-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}.*\n)+)", lock, re.MULTILINE)
    pinned = re.findall(r"^[a-z0-9_.-]+==", lock, re.MULTILINE)
    assert len(entries) == len(pinned), "every pinned requirement carries its hashes"
    return {canonicalize_name(name): version for name, version, _ in entries}


def test_the_image_is_pinned_and_installs_only_what_is_locked():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim@sha256:[0-9a-f]{64}$", dockerfile, re.MULTILINE)
    assert "--require-hashes -r requirements.lock" in dockerfile
    assert "--no-deps ." in dockerfile
    locked = _locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for dependency in map(Requirement, project["dependencies"]):
        version = locked.get(canonicalize_name(dependency.name))
        assert version is not None, f"{dependency.name} is not in deploy/requirements.lock"
        assert dependency.specifier.contains(version), f"{dependency.name}=={version} misses {dependency.specifier}"


def test_the_token_never_travels_in_the_environment_of_a_container():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "-e TELEGRAM_BOT_TOKEN" not in readme
    assert "/run/secrets/telegram_token:ro" in readme and "-m 0400" in readme


def test_litestream_replicates_the_database_the_unit_uses():
    litestream = (DEPLOY / "litestream.yml").read_text(encoding="utf-8")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    path = re.search(r"^  - path: (\S+)$", litestream, re.MULTILINE).group(1)
    assert f'database = "{path}"' in readme
    unit = (DEPLOY / "aftercare.service").read_text(encoding="utf-8")
    assert f"ReadWritePaths={Path(path).parent}" in unit
    assert re.search(r"^\s+age:\n\s+recipients:", litestream, re.MULTILINE)
