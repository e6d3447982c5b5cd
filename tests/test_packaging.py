"""A normal (non-editable) install ships the guidance inside the package."""

import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_contains_the_shipped_guidance(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("aftercare-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"bot/_guidance/{p.relative_to(ROOT / 'guidance').as_posix()}"
        for p in (ROOT / "guidance").rglob("*")
        if p.is_file()
    }
    assert shipped <= names
    assert "bot/triage/engine.py" in names
    web = ROOT / "bot" / "web"
    pages = {
        f"bot/web/{p.relative_to(web).as_posix()}"
        for d in ("templates", "static")
        for p in (web / d).iterdir()
    }
    assert {"bot/web/templates/worklist.html", "bot/web/static/style.css"} <= pages <= names


def test_installed_package_finds_its_guidance_outside_the_checkout(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    site = tmp_path / "site"
    wheel = next(tmp_path.glob("aftercare-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
    )
    probe = (
        "import bot.guidance.config, bot.guidance.loader;"
        "root = bot.guidance.config.default_guidance_dir();"
        "g = bot.guidance.loader.load_guidance(root);"
        "print(root, len(g.rules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{site}/bot/_guidance" in done.stdout
