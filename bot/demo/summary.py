"""What the demo prints around the chats: a header that says what is about to play, and the
summary table of the day with its verdict."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.demo.options import CHECKINS, DemoOptions
from bot.demo.outcome import DemoResult, PatientSummary
from bot.demo.setup import RENOTIFY, Cast

BUCKET_STYLES = {"normal": "green", "contact_practitioner": "yellow", "emergency": "bold red"}
SHORT = {"normal": "normal", "contact_practitioner": "contact", "emergency": "emergency"}


def header(options: DemoOptions, emulator_url: str, cast: Cast, follow_up_real: float) -> Panel:
    text = Text()
    text.append("Aftercare demo", style="bold")
    text.append(
        ": the real bot against the built-in Telegram Bot API emulator on "
        f"{emulator_url} (no token, no network; Telegram's flood limits on).\n"
    )
    text.append(
        f"Clinic {cast.clinic.name}: check-ins at {', '.join(CHECKINS)}; clock_speed {options.speed:g}"
        f"{f' and bot/emulator clocks {options.warp:g}× faster (--fast)' if options.fast else ''}, "
        f"so the 72 h follow-up takes about {follow_up_real:.0f} s.\n"
    )
    text.append("No quiet hours in this demo", style="bold")
    text.append(
        ": check-ins go out whatever the clinic's local time. Alerts not acknowledged within "
        f"{RENOTIFY} go to the next staff member.\n"
    )
    text.append(
        "Staff: " + ", ".join(f"{s.first_name} {s.last_name} ({s.role})" for s in cast.staff_scripts) + ".\n"
    )
    text.append("Patients: " + "; ".join(f"{p.name} ({p.story})" for p in cast.patient_scripts) + ".\n")
    text.append("Times are hours since treatment, as the bot counts them.", style="dim")
    return Panel(text, expand=False)


def _bucket(bucket: str | None) -> Text:
    return Text(SHORT.get(bucket or "", bucket or "-"), style=BUCKET_STYLES.get(bucket or "", ""))


def summary(result: DemoResult, options: DemoOptions) -> Group:
    """The table of the day, each alert under it, and the verdict. Whole at 60 columns: the alerts
    are sentences, so they run across the width below the table instead of in a column of it."""
    table = Table(title="Aftercare demo: the day in summary", title_style="bold", show_lines=True)
    table.add_column("Patient", overflow="fold")
    table.add_column("Answered", justify="center")
    table.add_column("Buckets", no_wrap=True)
    table.add_column("Worst", no_wrap=True)
    for p in result.patients:
        buckets = Text("\n").join(Text(f"{when} ").append(_bucket(bucket)) for when, bucket in p.buckets)
        table.add_row(
            Text(p.name, style="bold").append(f"\n{p.session}", style="dim"),
            f"{p.checkins_answered}/{p.checkins_sent}",
            buckets or Text("-"),
            _bucket(p.final_bucket),
        )
    return Group(table, _alerts(result.patients), _verdict(result, options))


def _alerts(patients: list[PatientSummary]) -> Group:
    alerts = Table.grid(padding=(0, 1))
    alerts.add_column(no_wrap=True)
    alerts.add_column(ratio=1)
    for p in patients:
        for a in p.alerts:
            text = _bucket(a.bucket).append(f" at {a.at_hours:.1f}h to {', '.join(a.told) or 'nobody'}; ")
            text.append(
                f"acknowledged by {a.acknowledged_by} after {a.after_minutes:.0f} min"
                if a.acknowledged_by
                else "not acknowledged",
                style="bold" if a.acknowledged_by else "bold red",
            )
            alerts.add_row(Text(f"  {p.name}", style="bold"), text)
    title = Text("Alerts (nominal time):", style="bold").append("" if alerts.rows else " none", style="")
    return Group(title, alerts)


def _verdict(result: DemoResult, options: DemoOptions) -> Text:
    verdict = Text()
    verdict.append(f"Emulator: {result.api_calls} Bot API calls, ")
    verdict.append(
        f"{result.violations} violations", style="bold green" if result.violations == 0 else "bold red"
    )
    verdict.append(
        f". Bot errors logged: {result.errors_logged}. Seed {options.seed}; took {result.seconds:.1f} s.\n"
    )
    if result.ok:
        verdict.append("✓ The day played out as scripted.", style="bold green")
    else:
        verdict.append("✗ The day did not play out as scripted:\n", style="bold red")
        verdict.append("\n".join(f"  - {f}" for f in result.failures), style="red")
    return verdict
