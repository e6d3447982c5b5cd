from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import bot
from bot.cli.config_summary import summarise
from bot.guidance.config import (
    DEFAULT_API_BASE_URL,
    ConfigError,
    Staff,
    TelegramConfig,
    default_guidance_dir,
    load_config,
)
from bot.guidance.quiet_hours import QuietHours

REPO = Path(__file__).resolve().parent.parent

BASE = """\
[telegram]
api_base_url = "http://127.0.0.1:8081/bot"

[storage]
database = "data/aftercare.sqlite3"

[[clinics]]
id = "harbour"
name = "Harbour Physio"
timezone = "Europe/London"
phone = "+44 20 7946 0000"
emergency_number = "999"
checkins = ["6h", "24h", "48h", "72h"]
quiet_hours = "21:00-08:00"

[[clinics.staff]]
telegram_id = 111111111
name = "Dr Ana Ruiz"
role = "practitioner"

[[clinics]]
id = "north"
name = "North Clinic"
timezone = "America/New_York"
phone = "+1 555 0100"
emergency_number = "911"
checkins = ["12h", "36h"]

[[clinics.staff]]
telegram_id = 222222222
name = "Sam Lee"
role = "admin"
"""

HARBOUR = 'id = "harbour"\n'
NORTH = 'id = "north"\n'
NORTH_STAFF = '\n[[clinics.staff]]\ntelegram_id = 222222222\nname = "Sam Lee"\nrole = "admin"\n'


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def add(anchor: str, lines: str) -> str:
    return edit(anchor, anchor + lines + "\n")


# (config text, dotted key, part of the message)
ERRORS = [
    # telegram
    (edit("[telegram]\n", "[telegram]\ntokn = 'x'\n"), "telegram.tokn", "unknown key"),
    (
        edit("[telegram]\n", "[telegram]\ntoken = '123:abc'\n"),
        "telegram.token",
        "set TELEGRAM_BOT_TOKEN or token_file",
    ),
    (
        edit('"http://127.0.0.1:8081/bot"', '"127.0.0.1:8081/bot"'),
        "telegram.api_base_url",
        "not an http(s) address",
    ),
    (
        edit('"http://127.0.0.1:8081/bot"', "8081"),
        "telegram.api_base_url",
        "expected text, got a whole number 8081",
    ),
    (edit("[telegram]\n", "[telegram]\ntoken_file = ''\n"), "telegram.token_file", "must not be empty"),
    ('telegram = "bot"\n' + BASE[BASE.index("[storage]") :], "telegram", "expected a table, got text 'bot'"),
    # storage and the top level
    (edit("database =", "databse ="), "storage.databse", "did you mean 'database'?"),
    (edit('database = "data/aftercare.sqlite3"', "database = 1"), "storage.database", "expected text"),
    ("[unknown]\n" + BASE, "unknown", "unknown key"),
    ('[telegram]\napi_base_url = "http://x/bot"\n', "clinics", "missing"),
    ("clinics = []\n", "clinics", "at least one [[clinics]]"),
    ('clinics = ["harbour"]\n', "clinics[0]", "expected a table, got text 'harbour'"),
    # a clinic's own keys
    (
        edit('"Europe/London"', '"Europe/Lodon"'),
        "clinics[0].timezone",
        "unknown time zone 'Europe/Lodon' (did you mean 'Europe/London'?)",
    ),
    (edit('"America/New_York"', '"Mars/Olympus"'), "clinics[1].timezone", "unknown time zone 'Mars/Olympus'"),
    (edit('"Europe/London"', '"../etc/passwd"'), "clinics[0].timezone", "unknown time zone"),
    (edit('timezone = "Europe/London"\n', ""), "clinics[0].timezone", "missing"),
    (
        add(HARBOUR, "timezon = 'Europe/London'"),
        "clinics[0].timezon",
        "unknown key (did you mean 'timezone'?)",
    ),
    (edit(NORTH, 'id = "harbour"\n'), "clinics[1].id", "'harbour' is already clinics[0].id"),
    (edit(HARBOUR, 'id = "Harbour Physio"\n'), "clinics[0].id", "use 1-32 of a-z"),
    (edit(HARBOUR, f'id = "{"a" * 33}"\n'), "clinics[0].id", "is not valid"),
    (edit('name = "Harbour Physio"', 'name = "  "'), "clinics[0].name", "must not be empty"),
    (edit('"+44 20 7946 0000"', '"call us"'), "clinics[0].phone", "use digits"),
    (edit('"+44 20 7946 0000"', '"+ - -"'), "clinics[0].phone", "is not valid"),
    (
        edit('emergency_number = "999"', "emergency_number = 999"),
        "clinics[0].emergency_number",
        "expected text, got a whole number 999",
    ),
    (
        edit('emergency_number = "999"', 'emergency_number = "9"'),
        "clinics[0].emergency_number",
        'write 2-6 digits in quotes, e.g. "999"',
    ),
    (
        edit('emergency_number = "999"', 'emergency_number = "112 or 999"'),
        "clinics[0].emergency_number",
        "is not valid",
    ),
    # check-ins
    (edit('["12h", "36h"]', "[]"), "clinics[1].checkins", "at least one check-in"),
    (edit('["12h", "36h"]', '"12h"'), "clinics[1].checkins", "expected a list"),
    (
        edit('["12h", "36h"]', '["12h", 36]'),
        "clinics[1].checkins[1]",
        'expected a duration in quotes such as "6h", got 36',
    ),
    (edit('["12h", "36h"]', '["12h", "36x"]'), "clinics[1].checkins[1]", "'36x' is not a duration"),
    (edit('["12h", "36h"]', '["12h", "0h"]'), "clinics[1].checkins[1]", "'0h' is zero"),
    (edit('["12h", "36h"]', '["12h", "6"]'), "clinics[1].checkins[1]", "'6' has no unit"),
    (edit('["12h", "36h"]', '["-1h", "36h"]'), "clinics[1].checkins[0]", "'-1h' is negative"),
    (edit('["12h", "36h"]', '["36h", "12h"]'), "clinics[1].checkins[1]", "increasing order"),
    (edit('["12h", "36h"]', '["12h", "12h"]'), "clinics[1].checkins[1]", "increasing order"),
    # optional clinic settings
    (add(NORTH, "clock_speed = 0"), "clinics[1].clock_speed", "must be a number above 0"),
    (add(NORTH, "clock_speed = -3600"), "clinics[1].clock_speed", "above 0"),
    (add(NORTH, "clock_speed = inf"), "clinics[1].clock_speed", "above 0"),
    (add(NORTH, 'clock_speed = "fast"'), "clinics[1].clock_speed", "expected a number"),
    (add(NORTH, "clock_speed = true"), "clinics[1].clock_speed", "expected a number, got true or false True"),
    (add(NORTH, 'quiet_hours = "08:00-08:00"'), "clinics[1].quiet_hours", "every check-in impossible"),
    (
        add(NORTH, 'quiet_hours = "21:00-17:00"'),
        "clinics[1].quiet_hours",
        "20 hours or more of the day, so no check-in could reliably be delivered",
    ),
    (add(NORTH, 'quiet_hours = "9pm-8am"'), "clinics[1].quiet_hours", "is not HH:MM-HH:MM"),
    (add(NORTH, 'quiet_hours = "21:00-24:00"'), "clinics[1].quiet_hours", "hours run 00-23"),
    (
        add(NORTH, 'reminder_after = "24h"'),
        "clinics[1].reminder_after",
        "shorter than the smallest gap between check-ins (24h)",
    ),
    (add(NORTH, 'reminder_after = "2 hours"'), "clinics[1].reminder_after", "is not a duration"),
    (add(NORTH, 'alert_renotify_after = "0m"'), "clinics[1].alert_renotify_after", "is zero"),
    (add(NORTH, "alert_renotify_after = 30"), "clinics[1].alert_renotify_after", "expected text"),
    (add(NORTH, 'enrol_token_ttl = "1 day"'), "clinics[1].enrol_token_ttl", "is not a duration"),
    (add(NORTH, "missed_alert_after = 0"), "clinics[1].missed_alert_after", "must be 1 or more"),
    (add(NORTH, "missed_alert_after = 1.5"), "clinics[1].missed_alert_after", "expected a whole number"),
    (
        add(NORTH, "missed_alert_after = 3"),
        "clinics[1].missed_alert_after",
        "only 2 check-ins, so the clinic would never be told",
    ),
    (add(NORTH, "retention_days = 0"), "clinics[1].retention_days", "must be 1 or more"),
    (add(NORTH, 'retention_days = "90"'), "clinics[1].retention_days", "expected a whole number"),
    (add(NORTH, 'alert_chat_id = "-100123"'), "clinics[1].alert_chat_id", "expected a whole number"),
    (add(NORTH, 'guidance_dir = "no-such-folder"'), "clinics[1].guidance_dir", "no such folder"),
    (add(NORTH, 'language = "English"'), "clinics[1].language", "use a language code"),
    # staff
    (edit(NORTH_STAFF, ""), "clinics[1].staff", "missing"),
    (
        edit(NORTH_STAFF, "").replace(NORTH, NORTH + "staff = []\n"),
        "clinics[1].staff",
        "at least one [[clinics.staff]] member",
    ),
    (
        edit(
            "[[clinics.staff]]\ntelegram_id = 222222222\n",
            "[[clinics.staff]]\ntelegram_id = 222222222\nname = 'A'\nrole = 'admin'\n"
            "[[clinics.staff]]\ntelegram_id = 222222222\n",
        ),
        "clinics[1].staff[1].telegram_id",
        "222222222 is already clinics[1].staff[0]",
    ),
    (
        edit("telegram_id = 222222222", "telegram_id = -5"),
        "clinics[1].staff[0].telegram_id",
        "must be 1 or more",
    ),
    (
        edit("telegram_id = 222222222", 'telegram_id = "222222222"'),
        "clinics[1].staff[0].telegram_id",
        "expected a whole number",
    ),
    (
        edit('role = "admin"', 'role = "doctor"'),
        "clinics[1].staff[0].role",
        "'doctor' is not one of practitioner, admin",
    ),
    (edit('name = "Sam Lee"\n', ""), "clinics[1].staff[0].name", "missing"),
    (edit('role = "admin"', 'role = "admin"\nphone = "1"'), "clinics[1].staff[0].phone", "unknown key"),
    # escalation (issue 13)
    (
        add(HARBOUR, 'out_of_hours_phone = "111"\nopening_hours = { mon-fri = "08:00-18:00", sat = "9-12" }'),
        "clinics[0].opening_hours.sat",
        "'9-12' is not HH:MM-HH:MM",
    ),
    (
        add(HARBOUR, 'out_of_hours_phone = "111"\nopening_hours = { mon-fry = "08:00-18:00" }'),
        "clinics[0].opening_hours.mon-fry",
        "'fry' is not a day",
    ),
    (
        add(
            HARBOUR, 'out_of_hours_phone = "111"\nopening_hours = { mon-fri = "08:00-18:00", wed = "closed" }'
        ),
        "clinics[0].opening_hours.wed",
        "wed is already given by 'mon-fri'",
    ),
    (
        add(HARBOUR, 'out_of_hours_phone = "111"\nopening_hours = { mon = "18:00-08:00" }'),
        "clinics[0].opening_hours.mon",
        "closes before it opens",
    ),
    (
        add(HARBOUR, 'out_of_hours_phone = "111"\nopening_hours = { sun = "closed" }'),
        "clinics[0].opening_hours",
        "open on no day at all",
    ),
    (
        add(HARBOUR, 'opening_hours = { mon-fri = "08:00-18:00" }'),
        "clinics[0].out_of_hours_phone",
        "patients told outside them need a number",
    ),
    (add(HARBOUR, 'out_of_hours_phone = "call us"'), "clinics[0].out_of_hours_phone", "is not valid"),
    (add(HARBOUR, 'emergency_renotify_after = "1h"'), "clinics[0].emergency_renotify_after", "too long"),
    (add(HARBOUR, 'emergency_renotify_after = "5"'), "clinics[0].emergency_renotify_after", "has no unit"),
    (add(HARBOUR, "max_alert_rounds = 0"), "clinics[0].max_alert_rounds", "must be 1 or more"),
]


@pytest.mark.parametrize("text, key, message", ERRORS, ids=[f"{e[1]}: {e[2]}" for e in ERRORS])
def test_it_names_the_file_and_key(tmp_path, text, key, message):
    path = write(tmp_path, text, "clinic-config.toml")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: {key}: ")
    assert message in str(error.value)
    assert error.value.key == key


UNREADABLE = [
    ("missing.toml", None, "cannot read: No such file or directory"),
    ("broken.toml", b"[telegram\n", "not valid TOML (line 1, column 10)"),
    ("broken.toml", b'[storage]\ndatabase = "a"\ndatabase = "b"\n', "line 3, column"),
    ("latin1.toml", b'[storage]\ndatabase = "caf\xe9"\n', "not UTF-8 text"),
]


@pytest.mark.parametrize("name, content, message", UNREADABLE)
def test_it_names_an_unreadable_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_it_loads_a_clinic(tmp_path):
    config = load_config(write(tmp_path, BASE))
    harbour = config.clinic("harbour")
    assert harbour.timezone == ZoneInfo("Europe/London")
    assert harbour.checkins == tuple(timedelta(hours=h) for h in (6, 24, 48, 72))
    assert harbour.quiet_hours == QuietHours(time(21), time(8))
    assert harbour.staff == (Staff(111111111, "Dr Ana Ruiz", "practitioner"),)
    assert config.telegram.api_base_url == "http://127.0.0.1:8081/bot"
    assert [c.id for c in config.clinics] == ["harbour", "north"]


def test_it_fills_in_defaults(tmp_path):
    config = load_config(write(tmp_path, BASE[BASE.index("[[clinics]]") :]))
    north = config.clinic("north")
    source = str(tmp_path / "config.toml")
    assert config.telegram == TelegramConfig(DEFAULT_API_BASE_URL, None, source)
    assert config.storage.database == tmp_path / "aftercare.sqlite3"
    assert (north.clock_speed, north.quiet_hours, north.alert_chat_id, north.guidance_dir) == (
        1.0,
        None,
        None,
        None,
    )
    assert (north.reminder_after, north.alert_renotify_after, north.enrol_token_ttl) == (
        timedelta(hours=2),
        timedelta(minutes=30),
        timedelta(hours=24),
    )
    assert (north.missed_alert_after, north.retention_days, north.language) == (2, 90, "en")


def test_it_reads_optional_settings(tmp_path):
    (tmp_path / "my-guidance").mkdir()
    text = add(
        NORTH,
        "\n".join(
            [
                "clock_speed = 3600",
                'quiet_hours = "22:00-07:30"',
                'reminder_after = "1h30m"',
                'alert_renotify_after = "10m"',
                "missed_alert_after = 1",
                'enrol_token_ttl = "2d"',
                "retention_days = 30",
                "alert_chat_id = -1001234567890",
                'guidance_dir = "my-guidance"',
                'language = "pt-BR"',
            ]
        ),
    )
    north = load_config(write(tmp_path, text)).clinic("north")
    assert north.clock_speed == 3600.0
    assert str(north.quiet_hours) == "22:00-07:30"
    assert north.reminder_after == timedelta(hours=1, minutes=30)
    assert north.enrol_token_ttl == timedelta(days=2)
    assert (north.missed_alert_after, north.retention_days) == (1, 30)
    assert north.alert_chat_id == -1001234567890
    assert north.guidance_dir == tmp_path / "my-guidance"
    assert north.language == "pt-BR"


PATHS = [
    ("data/aftercare.sqlite3", lambda folder: folder / "data/aftercare.sqlite3"),
    ("/var/lib/aftercare/db.sqlite3", lambda folder: Path("/var/lib/aftercare/db.sqlite3")),
    ("~/aftercare.sqlite3", lambda folder: Path.home() / "aftercare.sqlite3"),
]


@pytest.mark.parametrize("database, expected", PATHS)
def test_it_resolves_paths_against_the_config_folder(tmp_path, monkeypatch, database, expected):
    (tmp_path / "etc").mkdir()
    path = write(tmp_path / "etc", edit('"data/aftercare.sqlite3"', f'"{database}"'))
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("etc/config.toml"))
    assert config.storage.database == expected(tmp_path / "etc")
    assert config.path == Path("etc/config.toml") and path.exists()


def test_clinic_lookup_names_the_file_and_known_ids(tmp_path):
    config = load_config(write(tmp_path, BASE))
    with pytest.raises(
        ConfigError,
        match=r"config\.toml: clinics: no clinic with id 'south' "
        r"\(known: harbour, north\)",
    ):
        config.clinic("south")


def test_staff_lookup(tmp_path):
    harbour = load_config(write(tmp_path, BASE)).clinic("harbour")
    assert harbour.staff_member(111111111).role == "practitioner"
    assert harbour.is_staff(111111111)
    assert harbour.staff_member(222222222) is None
    assert not harbour.is_staff(222222222)


# (TELEGRAM_BOT_TOKEN, token file content or None for no token_file, token or error message)
TOKENS = [
    ("123:env", None, "123:env"),
    ("123:env", "123:file\n", "123:env"),
    (None, "  123:file\n", "123:file"),
    ("", "123:file", "123:file"),
    (None, None, "telegram.token_file: no bot token: set TELEGRAM_BOT_TOKEN or telegram.token_file"),
    (None, "", "telegram.token_file: "),
    (None, "missing", "telegram.token_file: cannot read"),
]


@pytest.mark.parametrize("env, content, expected", TOKENS)
def test_it_reads_the_token_only_when_asked(tmp_path, monkeypatch, env, content, expected):
    text = BASE
    if content is not None:
        text = edit("[telegram]\n", '[telegram]\ntoken_file = "secret/token"\n')
        if content != "missing":
            (tmp_path / "secret").mkdir()
            (tmp_path / "secret" / "token").write_text(content)
            (tmp_path / "secret" / "token").chmod(0o600)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    if env is not None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", env)
    config = load_config(write(tmp_path, text))
    if expected.startswith("123:"):
        assert config.telegram.token() == expected
    else:
        with pytest.raises(ConfigError) as error:
            config.telegram.token()
        assert str(error.value).startswith(f"{tmp_path / 'config.toml'}: {expected}")


def test_the_example_config_loads():
    config = load_config(REPO / "config.example.toml")
    harbour = config.clinic("harbour")
    assert (harbour.name, harbour.timezone.key, harbour.emergency_number) == (
        "Harbour Physio",
        "Europe/London",
        "999",
    )
    assert harbour.checkins == tuple(timedelta(hours=h) for h in (6, 24, 48, 72))
    assert str(harbour.quiet_hours) == "21:00-08:00"
    assert (harbour.reminder_after, harbour.alert_renotify_after) == (
        timedelta(hours=2),
        timedelta(minutes=30),
    )
    assert sorted(s.role for s in harbour.staff) == ["admin", "practitioner"]
    assert (harbour.alert_chat_id, harbour.retention_days) == (None, 90)
    assert "token =" not in (REPO / "config.example.toml").read_text().replace("# token", "")


def test_default_guidance_dir_is_the_checkouts_folder():
    assert default_guidance_dir() == REPO / "guidance"
    assert (default_guidance_dir() / "README.md").exists()


# (folders that exist beside bot/__init__.py's folder, the one expected)
GUIDANCE_DIRS = [
    (["site/bot/_guidance", "site/guidance"], "site/bot/_guidance"),  # installed wheel
    (["site/guidance"], "site/guidance"),  # source checkout or editable install
]


@pytest.mark.parametrize("folders, expected", GUIDANCE_DIRS)
def test_default_guidance_dir_prefers_the_wheels_copy(tmp_path, monkeypatch, folders, expected):
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.setattr(bot, "__file__", str(tmp_path / "site/bot/__init__.py"))
    assert default_guidance_dir() == tmp_path / expected


def test_summary_shows_the_schedule_in_local_time(tmp_path):
    config = load_config(write(tmp_path, add(NORTH, "alert_chat_id = -100123")))
    # 20:30 BST: the 24h/48h/72h check-ins fall at 20:30, the 6h one at 02:30.
    summary = summarise(config, datetime(2026, 6, 1, 19, 30, tzinfo=UTC))
    for line in [
        "Harbour Physio (harbour)",
        "  time zone: Europe/London",
        "  phone: +44 20 7946 0000; emergency number: 999",
        "  quiet hours: 21:00-08:00",
        "  check-ins for a session treated now (Mon 01 Jun 20:30 BST):",
        "       6h  Tue 02 Jun 08:00 BST (moved from 02:30, quiet hours)",
        "      24h  Tue 02 Jun 20:30 BST",
        "  reminder after 2h; alerts re-sent every 30m; clinic told after 2 missed check-ins in a row",
        "  enrolment links valid 24h; records kept 90 days",
        "    Dr Ana Ruiz, practitioner (111111111)",
        "North Clinic (north)",
        "  quiet hours: none",
        "  check-ins for a session treated now (Mon 01 Jun 15:30 EDT):",
        "      12h  Tue 02 Jun 03:30 EDT",
        "  alert chat: -100123",
        "    Sam Lee, admin (222222222)",
        "  emergency alerts re-sent every 5m until acknowledged; other alerts stop after 4 rounds",
        "  opening hours: not set (alerts are re-sent at any hour)",
    ]:
        assert line in summary.splitlines()


def test_summary_shows_the_opening_hours_and_escalation(tmp_path):
    hours = 'opening_hours = { mon-fri = "08:00-12:00, 13:00-18:00", sat = "09:00-12:00", sun = "closed" }'
    extra = f'out_of_hours_phone = "111"\nemergency_renotify_after = "2m"\nmax_alert_rounds = 6\n{hours}'
    config = load_config(write(tmp_path, add(HARBOUR, extra)))
    harbour = config.clinics[0]
    assert (harbour.emergency_renotify_after, harbour.max_alert_rounds) == (timedelta(minutes=2), 6)
    lines = summarise(config, datetime(2026, 6, 1, 19, 30, tzinfo=UTC)).splitlines()
    assert "  emergency alerts re-sent every 2m until acknowledged; other alerts stop after 6 rounds" in lines
    assert (
        "  opening hours: mon-fri 08:00-12:00, 13:00-18:00; sat 09:00-12:00, other days closed;"
        " out of hours call 111"
    ) in lines


def test_summary_marks_absorbed_checkins_and_a_demo_clock(tmp_path):
    text = add(HARBOUR, 'reminder_after = "1h"')
    text = text.replace('["6h", "24h", "48h", "72h"]', '["2h", "12h"]')
    config = load_config(write(tmp_path, text))
    summary = summarise(config, datetime(2026, 6, 1, 19, tzinfo=UTC))
    assert "       2h  Mon 01 Jun 22:00 BST (absorbed into next)" in summary.splitlines()
    assert "      12h  Tue 02 Jun 08:00 BST" in summary.splitlines()

    demo = load_config(write(tmp_path, add(NORTH, "clock_speed = 3600")))
    summary = summarise(demo, datetime(2026, 6, 1, 19, tzinfo=UTC))
    assert "  clock speed: 3600x (demo/test only)" in summary.splitlines()
    assert "      12h  Mon 01 Jun 15:00:12 EDT" in summary.splitlines()


# Token file modes: only the owner may read it, as ssh demands of a private key.
TOKEN_MODES = [(0o600, None), (0o400, None), (0o640, "mode 0640"), (0o604, "mode 0604"), (0o644, "mode 0644")]


@pytest.mark.parametrize("mode, refused", TOKEN_MODES)
def test_a_token_file_others_can_read_is_refused(tmp_path, monkeypatch, mode, refused):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    (tmp_path / "token").write_text("123:file")
    (tmp_path / "token").chmod(mode)
    config = load_config(write(tmp_path, edit("[telegram]\n", '[telegram]\ntoken_file = "token"\n')))
    if refused is None:
        assert config.telegram.token() == "123:file"
        return
    with pytest.raises(ConfigError) as error:
        config.telegram.token()
    assert f"telegram.token_file: {tmp_path / 'token'} can be read by other users ({refused})" in str(
        error.value
    )
    assert f"chmod 600 {tmp_path / 'token'}" in str(error.value)


# (api_base_url, allow_insecure_api or None, accepted)
API_URLS = [
    ("https://api.telegram.org/bot", None, True),
    ("http://127.0.0.1:8081/bot", None, True),
    ("http://127.5.0.1:8081/bot", None, True),
    ("http://localhost:8081/bot", None, True),
    ("http://[::1]:8081/bot", None, True),
    ("http://10.0.0.5:8081/bot", None, False),
    ("http://botapi.example.org/bot", None, False),
    ("http://botapi.example.org/bot", "false", False),
    ("http://botapi.example.org/bot", "true", True),
]


@pytest.mark.parametrize("url, allow, accepted", API_URLS)
def test_plain_http_to_another_host_is_refused(tmp_path, url, allow, accepted):
    extra = f'api_base_url = "{url}"\n' + (f"allow_insecure_api = {allow}\n" if allow else "")
    path = write(tmp_path, edit('api_base_url = "http://127.0.0.1:8081/bot"\n', extra))
    if accepted:
        assert load_config(path).telegram.api_base_url == url
        return
    with pytest.raises(ConfigError, match=r"telegram\.api_base_url: .* sends the bot token unencrypted"):
        load_config(path)


# ([logging] table or None, the level the bot logs at, or the error)
LOG_LEVEL_CONFIGS = [
    (None, "info"),
    ('level = "debug"', "debug"),
    ('level = "warning"', "warning"),
    ('level = "loud"', "logging.level: 'loud' is not one of debug, info, warning, error"),
    ('levle = "debug"', "logging.levle: unknown key (did you mean 'level'?)"),
]


@pytest.mark.parametrize("table, expected", LOG_LEVEL_CONFIGS)
def test_the_log_level_comes_from_the_config(tmp_path, table, expected):
    path = write(tmp_path, BASE if table is None else BASE + f"\n[logging]\n{table}\n")
    if " " not in expected:
        assert load_config(path).log_level == expected
        return
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert expected in str(error.value)


# ([web] table or None, (host, port, base_url) or the error)
WEB_CONFIGS = [
    (None, (None, 0, None)),
    ('listen = "127.0.0.1:8080"', ("127.0.0.1", 8080, "http://127.0.0.1:8080")),
    ('listen = "[::1]:9000"', ("::1", 9000, "http://[::1]:9000")),
    (
        'listen = "127.0.0.1:8080"\npublic_url = "https://care.example.org/"',
        ("127.0.0.1", 8080, "https://care.example.org"),
    ),
    (
        'listen = "127.0.0.1:8080"\npublic_url = "http://localhost:8080"',
        ("127.0.0.1", 8080, "http://localhost:8080"),
    ),
    ('listen = "8080"', "web.listen: '8080' is not host:port"),
    ('listen = "127.0.0.1:99999"', "web.listen: '127.0.0.1:99999' is not host:port"),
    (
        'listen = "127.0.0.1:8080"\npublic_url = "http://care.example.org"',
        "web.public_url: 'http://care.example.org': use https",
    ),
    (
        'listen = "127.0.0.1:8080"\npublic_url = "ftp://x"',
        "web.public_url: 'ftp://x' is not an http(s) address",
    ),
    (
        'listen = "127.0.0.1:8080"\npublic_url = "https://x/?a=1"',
        "web.public_url: 'https://x/?a=1' is not an http(s) address",
    ),
    ('public_url = "https://care.example.org"', "web.public_url: set listen too"),
    (
        'listen = "0.0.0.0:8080"',
        "web.public_url: needed when listen is not a loopback address ('0.0.0.0:8080')",
    ),
    (
        'listen = "0.0.0.0:8080"\npublic_url = "https://care.example.org"',
        ("0.0.0.0", 8080, "https://care.example.org"),
    ),
    ('lisen = "127.0.0.1:8080"', "web.lisen: unknown key (did you mean 'listen'?)"),
]


@pytest.mark.parametrize("table, expected", WEB_CONFIGS)
def test_the_web_worklist_is_off_unless_listen_is_set(tmp_path, table, expected):
    path = write(tmp_path, BASE if table is None else BASE + f"\n[web]\n{table}\n")
    if isinstance(expected, tuple):
        web = load_config(path).web
        base_url = web.base_url if web.enabled else None
        assert (web.host, web.port, base_url) == expected
        return
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert expected in str(error.value)


def test_check_config_shows_the_web_worklist(tmp_path):
    off = summarise(load_config(write(tmp_path, BASE)), datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert "Web worklist: off" in off
    path = write(
        tmp_path, BASE + '\n[web]\nlisten = "127.0.0.1:8080"\npublic_url = "https://care.example.org"\n'
    )
    on = summarise(load_config(path), datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert "Web worklist: https://care.example.org (listens on 127.0.0.1:8080)" in on
