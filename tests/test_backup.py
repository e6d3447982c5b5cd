"""`aftercare backup` never harms what it protects: not the live database, not an existing file
unless asked, not a folder it would have to invent."""

import io
import sqlite3

import pytest

from bot.__main__ import main
from bot.store.database import Store

from .harness import write_config


@pytest.fixture
def live(tmp_path):
    config = write_config(tmp_path, "http://127.0.0.1:9/bot", [(111, "Dana", "practitioner")])
    store = Store(tmp_path / "aftercare.sqlite3")
    store.save_patient(700000001, "Zed", "en", "harbour", 0.0)
    yield config
    store.close()


def backup(config, *argv):
    out = io.StringIO()
    return main(["backup", "--config", str(config), *argv], out=out), out.getvalue()


def patients_in(path) -> int:
    with sqlite3.connect(path) as copy:
        return copy.execute("SELECT count(*) FROM patients").fetchone()[0]


# (target relative to the config's folder, prepare, extra arguments, error or None)
TARGETS = [
    ("copy.sqlite3", None, [], None),
    ("aftercare.sqlite3", None, [], "is the live database"),
    ("aftercare.sqlite3", None, ["--force"], "is the live database"),
    ("aftercare.sqlite3-wal", None, ["--force"], "is the live database"),
    ("missing/copy.sqlite3", None, [], "the folder"),
    ("old.sqlite3", "file", [], "already exists: add --force to replace it"),
    ("old.sqlite3", "file", ["--force"], None),
    ("folder", "folder", ["--force"], "is a folder"),
]


@pytest.mark.parametrize("target, prepare, extra, error", TARGETS)
def test_backup_targets(live, tmp_path, capsys, target, prepare, extra, error):
    path = tmp_path / target
    if prepare == "file":
        path.write_bytes(b"yesterday's copy")
        path.chmod(0o644)
    elif prepare == "folder":
        path.mkdir()
    code, out = backup(live, "--to", str(path), *extra)
    if error is None:
        assert code == 0 and out == f"backed up to {path}\n"
        assert patients_in(path) == 1 and path.stat().st_mode & 0o777 == 0o600
        return
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.startswith("aftercare: ") and error in err
    assert err.count("\n") == 1
    assert not (tmp_path / "missing").exists()
    assert patients_in(tmp_path / "aftercare.sqlite3") == 1
