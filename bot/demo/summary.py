"""What the demo prints around the chats: a header that says what is about to play, and the
summary table of the day with its verdict."""

from __future__ import annotations

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


def summary_table(result: DemoResult, options: DemoOptions) -> Table:
    table = Table(title="Aftercare demo: the day in summary", title_style="bold", show_lines=True)
    table.add_column("Patient", min_width=10)
    table.add_column("Check-ins\nanswered", justify="center")
    table.add_column("Buckets", no_wrap=True)
    table.add_column("Final\n(worst)", no_wrap=True)
    table.add_column("Alerts (nominal time)", ratio=1)
    for p in result.patients:
        buckets = Text("\n").join(Text(f"{when} ").append(_bucket(bucket)) for when, bucket in p.buckets)
        table.add_row(
            Text(p.name, style="bold").append(f"\n{p.session}", style="dim"),
            f"{p.checkins_answered}/{p.checkins_sent}",
            buckets or Text("-"),
            _bucket(p.final_bucket),
            _alerts(p) or Text("none"),
        )
    table.caption = _verdict(result, options)
    table.caption_justify = "left"
    return table


def _alerts(p: PatientSummary) -> Text:
    alerts = Text()
    for a in p.alerts:
        if alerts:
            alerts.append("\n")
        alerts.append(_bucket(a.bucket)).append(f" at {a.at_hours:.1f}h to {', '.join(a.told) or 'nobody'}; ")
        alerts.append(
            f"acknowledged by {a.acknowledged_by} after {a.after_minutes:.0f} min"
            if a.acknowledged_by
            else "not acknowledged",
            style="bold" if a.acknowledged_by else "bold red",
        )
    return alerts


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
