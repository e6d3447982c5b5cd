"""Settings from Telegram, the pure part and check-config: a typed value becomes the config
file's value, is checked by the file's own checks with the file's messages (keys against each
other too), staff changes go over the file's list, and check-config shows stored and file values."""

from datetime import timedelta

import pytest

from bot.guidance.config import ConfigError, load_config
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.guidance.settings import BY_KEY, SETTINGS, StaffChange, effective, overlay, reason
from bot.store.database import Store

from .harness import write_config
from .test_cli import run

STAFF = [(1, "Sam Okafor", "admin"), (2, "Dana Reyes", "practitioner")]


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path, "http://127.0.0.1:9/bot", STAFF))


# (key, typed, what the clinic then holds, or the config file's message)
EXAMPLES = [
    ("checkins", "2h 6h 24h 48h 72h", [2, 6, 24, 48, 72]),
    ("checkins", "24h, 48h,72h", [24, 48, 72]),
    ("checkins", "24h 12h", "checkins[1]: '12h' is not after the check-in before it"),
    ("checkins", "6 24h", "checkins[0]: '6' has no unit"),
    ("quiet_hours", "22:00-07:00", "22:00-07:00"),
    ("quiet_hours", "off", None),
    ("quiet_hours", "25:00-08:00", "quiet_hours: '25:00-08:00': hours run 00-23 and minutes 00-59"),
    ("quiet_hours", "08:00-06:00", "quiet_hours: '08:00-06:00' is quiet for 20 hours or more"),
    ("reminder_after", "1h30m", timedelta(minutes=90)),
    (
        "reminder_after",
        "18h",
        "reminder_after: must be shorter than the smallest gap between check-ins (18h)",
    ),
    ("alert_renotify_after", "0m", "alert_renotify_after: '0m' is zero"),
    ("missed_alert_after", "3", 3),
    ("missed_alert_after", "5", "missed_alert_after: is 5 but there are only 4 check-ins"),
    ("missed_alert_after", "two", "missed_alert_after: expected a whole number, got text 'two'"),
    ("enrol_token_ttl", "72h", timedelta(hours=72)),
    ("emergency_renotify_after", "10m", timedelta(minutes=10)),
    ("emergency_renotify_after", "1h", "emergency_renotify_after: '1h' is too long"),
    ("max_alert_rounds", "6", 6),
    ("max_alert_rounds", "0", "max_alert_rounds: must be 1 or more, got 0"),
    ("out_of_hours_phone", "+44 20 7946 0111", "+44 20 7946 0111"),
    ("out_of_hours_phone", "call us", "out_of_hours_phone: 'call us' is not valid"),
    # opening hours need a number for the hours outside them: the file's check between keys
    ("opening_hours", "mon-fri 08:00-18:00", "out_of_hours_phone: missing: with opening_hours"),
]


def _held(clinic, key):
    value = getattr(clinic, key)
    if key == "checkins":
        return [offset / timedelta(hours=1) for offset in value]
    return str(value) if key in ("quiet_hours", "opening_hours") and value else value


@pytest.mark.parametrize(("key", "typed", "expected"), EXAMPLES)
def test_a_typed_value_is_read_and_checked_as_the_file_would(config, key, typed, expected):
    try:
        clinic = overlay(config, "harbour", {key: BY_KEY[key].read(typed)})
    except ConfigError as error:
        assert isinstance(expected, str) and reason(error).startswith(expected), reason(error)
        assert str(error).startswith(f"{config.path}: clinics[0].")  # named as the file names it
    else:
        assert _held(clinic, key) == expected


def test_every_setting_shows_its_value_and_its_presets_pass_the_files_checks(config):
    closed_phone = {"out_of_hours_phone": "+44 20 7946 0111"}  # opening hours are refused without it
    clinic = overlay(config, "harbour", {**closed_phone, "opening_hours": {"mon-fri": "08:00-18:00"}})
    for setting in SETTINGS:
        assert setting.show(clinic)  # every value in force can be shown (this clinic sets them all)
        for preset in setting.presets:
            overlay(config, "harbour", {**closed_phone, setting.key: preset})  # never refused by the file


@pytest.mark.parametrize(
    ("typed", "held"),
    [
        ("mon-fri 08:00-18:00; sat 09:00-12:00", "mon-fri 08:00-18:00; sat 09:00-12:00"),
        ("mon 08:00-12:00, 14:00-18:00", "mon 08:00-12:00, 14:00-18:00"),
        ("off", None),
    ],
)
def test_opening_hours_are_typed_on_one_line_as_check_config_shows_them(config, typed, held):
    phone = {"out_of_hours_phone": "+44 20 7946 0111"}
    clinic = overlay(config, "harbour", {**phone, "opening_hours": BY_KEY["opening_hours"].read(typed)})
    assert (str(clinic.opening_hours) if clinic.opening_hours else None) == held


def test_staff_changes_go_over_the_files_list(config):
    lee = StaffChange(3, "Lee Park", "practitioner", removed=False)
    dana_out = StaffChange(2, "Dana Reyes", "practitioner", removed=True)
    clinic = overlay(config, "harbour", {}, [lee, dana_out])
    assert [(m.telegram_id, m.role) for m in clinic.staff] == [(1, "admin"), (3, "practitioner")]
    promoted = overlay(config, "harbour", {}, [StaffChange(2, "Dana Reyes", "admin", removed=False)])
    assert promoted.staff_member(2).role == "admin"
    with pytest.raises(ConfigError, match="at least one"):
        overlay(config, "harbour", {}, [StaffChange(1, "", "", True), dana_out])


def test_stored_values_the_file_no_longer_accepts_leave_the_files_in_force(config):
    in_force, problems = effective(config, {"harbour": {"reminder_after": "30h"}}, {})
    assert in_force.clinic("harbour") is config.clinic("harbour")
    assert [reason(p) for p in problems][0].startswith("reminder_after: must be shorter")


def test_check_config_shows_the_values_set_in_telegram_beside_the_files(config):
    before = run(["check-config", "--config", str(config.path)])
    assert before[0] == 0 and "set in Telegram" not in before[1]
    store = Store(config.storage.database)
    store.set_clinic_setting("harbour", "checkins", ["24h", "48h", "72h"], ("6h, …", "24h, …"), 1, 0.0)
    store.set_clinic_staff(
        "harbour", (3, "Lee Park", "practitioner", False), (None, "3 practitioner"), 1, 0.0
    )
    store.close()
    code, out = run(["check-config", "--config", str(config.path)])
    assert code == 0
    assert "Harbour Physio (harbour): set in Telegram, in force over this file until reset" in out
    assert "  checkins: 24h, 48h, 72h (config file: 6h, 24h, 48h, 72h)" in out
    assert "  staff: Lee Park (3) added as practitioner" in out


def test_aftercare_enrol_uses_a_link_expiry_set_in_telegram(config):
    store = Store(config.storage.database)
    store.set_clinic_setting("harbour", "enrol_token_ttl", "72h", ("24h", "72h"), 1, 0.0)
    store.close()
    argv = ["enrol", "--config", str(config.path), "--clinic", "harbour", "--area", "calf"]
    code, out = run([*argv, "--intensity", "light", "--bot-username", "aftercare_test_bot", "--json"])
    assert code == 0
    store = Store(config.storage.database)
    [token] = store.db["enrol_tokens"].rows
    store.close()
    assert token["expires_at"] - token["created_at"] == 72 * 3600


def test_every_setting_says_when_a_change_counts():
    for setting in SETTINGS:
        assert f"settings_applies_{setting.applies}" in REQUIRED_MESSAGES, setting.key
