"""Web worklist: render time of the worklist and a patient's timeline at a busy clinic.

    .venv/bin/python bench/web.py [--patients 10000] [--alerts 500] [--requests 300]

A store with `--patients` follow-ups running (4 check-ins each at 6/24/48/72 h, the first two
answered with a score and words, an assessment each) and `--alerts` open alerts (a fifth of them
emergencies), plus as many alerts acknowledged long ago. The web app runs on aiohttp's test
server in this process, signed in as a practitioner; each page is requested `--requests` times
(the timeline of a random patient each time). Its render time is the server's handler, from the
request to the response ready (session lookup, queries, template); the request's time from the
client, to the last byte, is shown beside it. Target: render p99 < 50 ms for the worklist and
the timeline (the patients page is shown too).
The statements each page ran are captured and their `EXPLAIN QUERY PLAN` printed; a SCAN of a
whole table or index is a missed target. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench.scale import full_scans, query_plans
from bot.guidance.loader import load_all_guidance
from bot.guidance.web_config import WebConfig
from bot.services import web_access
from bot.services.shared import Services
from bot.store.database import Store
from bot.web.server import create_app, settle_heap
from tests.harness import START, write_config

TARGET_P99_MS = 50.0
HOURS = (6.0, 24.0, 48.0, 72.0)
WORDS = "the calf is sore and a bit warm, I can walk fine"


def fill(store: Store, patients: int, alerts: int) -> list[int]:
    """The clinic's rows in one transaction; the ids of the patients with an open alert."""
    rng = random.Random(15)
    conn = store.db.conn
    now = START
    with store.transaction():
        for pid in range(1, patients + 1):
            treated = now - rng.uniform(1, 71) * 3600
            conn.execute(
                "INSERT INTO patients (id, telegram_id, first_name, language, clinic_id, status, created_at)"
                " VALUES (?, ?, ?, 'en', 'harbour', 'active', ?)",
                [pid, 10_000_000 + pid, f"Patient{pid}", treated],
            )
            conn.execute(
                "INSERT INTO sessions (id, patient_id, clinic_id, areas, intensity, activities,"
                " first_session, treated_at, practitioner_id, clock_speed, status, created_at)"
                " VALUES (?, ?, 'harbour', '[\"calf\"]', 'moderate', '[]', 1, ?, ?, 1.0, 'active', ?)",
                [pid, pid, treated, 1 if pid % 2 else 2, treated],
            )
            conn.executemany(
                "INSERT INTO checkins (session_id, idx, hours, due_at, status, sent_at, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (pid, i, h, treated + h * 3600, *_checkin_state(i, treated + h * 3600))
                    for i, h in enumerate(HOURS)
                ],
            )
            for i in (0, 1):
                at = treated + HOURS[i] * 3600 + 60
                conn.execute(
                    "INSERT INTO answers (session_id, checkin_id, question_id, value, received_at)"
                    " VALUES (?, NULL, 'soreness', ?, ?)",
                    [pid, json.dumps(3 + i), at],
                )
                conn.execute(
                    "INSERT INTO answers (session_id, checkin_id, question_id, value, received_at)"
                    " VALUES (?, NULL, 'text', ?, ?)",
                    [pid, json.dumps(WORDS), at],
                )
                conn.execute(
                    "INSERT INTO assessments (session_id, hours, bucket, rules, reasons, soreness,"
                    " created_at) VALUES (?, ?, ?, '[\"C1\"]', '[\"Swelling and warmth\"]', ?, ?)",
                    [pid, HOURS[i], "normal" if i == 0 else "contact_practitioner", 3 + i, at],
                )
        alerted = rng.sample(range(1, patients + 1), min(patients, 2 * alerts))
        for n, pid in enumerate(alerted):
            opened = n < alerts
            bucket = "emergency" if n % 5 == 0 else "contact_practitioner"
            at = now - rng.uniform(60, 6 * 3600) if opened else now - 30 * 86400
            conn.execute(
                "INSERT INTO alerts (session_id, assessment_id, clinic_id, bucket, status, created_at,"
                " notify_count, next_notify_at, acknowledged_by, acknowledged_at)"
                " VALUES (?, ?, 'harbour', ?, ?, ?, 1, ?, ?, ?)",
                [
                    pid,
                    2 * pid,
                    bucket,
                    "open" if opened else "acknowledged",
                    at,
                    at + 1800,
                    None if opened else 1,
                    None if opened else at + 600,
                ],
            )
    conn.execute("ANALYZE")
    return alerted[:alerts]


def _checkin_state(idx: int, due: float) -> tuple[str, float | None, float | None]:
    if idx < 2:
        return "answered", due, due + 60
    return "pending", None, None


RENDERED: list[float] = []  # server side: each page's handler, from request to response ready


@web.middleware
async def render_timer(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        RENDERED.append((time.perf_counter() - started) * 1000)


async def timed(client: TestClient, paths: list[str]) -> tuple[list[float], list[float]]:
    """Each page's render time in the server (its handler: session, queries, template) and the
    request's wall time from the client, read to the last byte (both run in this process)."""
    RENDERED.clear()
    wall = []
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        await response.read()
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status)
    return list(RENDERED), wall


async def statements_of(store: Store, client: TestClient, path: str) -> list[str]:
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    try:
        await (await client.get(path)).read()
    finally:
        store.db.conn.set_trace_callback(None)
    return [
        s for s in seen if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", s, re.I)
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(args: argparse.Namespace, folder: Path) -> int:
    config_path = write_config(
        folder, "http://127.0.0.1:9/bot", [(1, "Dana Reyes", "practitioner"), (2, "Sam Okafor", "admin")]
    )
    from dataclasses import replace

    from bot.guidance.config import load_config

    config = replace(load_config(config_path), web=WebConfig("127.0.0.1", 8080))
    store = Store(config.storage.database)
    started = time.perf_counter()
    alerted = fill(store, args.patients, args.alerts)
    took = time.perf_counter() - started
    print(f"store: {args.patients:,} follow-ups, {args.alerts} open alerts ({took:.1f} s)")
    services = Services(config, store, load_all_guidance(config), now=lambda: START)
    rng = random.Random(1)
    settle_heap()  # as the server does when it starts
    missed = False
    app = create_app(services)
    app.middlewares.insert(0, render_timer)
    async with TestClient(TestServer(app)) as client:
        token = web_access.issue_link(services, 1).rsplit("/", 1)[1]
        assert (await client.post("/signin", data={"token": token}, allow_redirects=False)).status == 303
        pages = {
            "worklist": ["/"] * args.requests,
            "timeline": [f"/patients/{rng.choice(alerted)}" for _ in range(args.requests)],
            "patients (200 a page)": ["/patients"] * max(10, args.requests // 10),
        }
        heading = f"{'page':<24}{'render p50':>11}{'p99':>7}{'request p50':>13}{'p99':>7}"
        print(f"\n{heading}   target: render p99 < {TARGET_P99_MS:g} ms")
        for name, paths in pages.items():
            await timed(client, paths[:5])  # warm: templates compiled, statements cached
            rendered, wall = await timed(client, paths)
            p99 = percentile(rendered, 0.99)
            late = not name.startswith("patients") and p99 >= TARGET_P99_MS
            missed |= late
            figures = (statistics.median(rendered), p99, statistics.median(wall), percentile(wall, 0.99))
            widths = (11, 7, 13, 7)
            print(
                f"{name:<24}"
                + "".join(f"{f:>{w}.1f}" for f, w in zip(figures, widths, strict=True))
                + ("   <- MISSED" if late else "")
            )
        print("\nEXPLAIN QUERY PLAN")
        for name, path in (
            ("worklist", "/"),
            ("timeline", f"/patients/{alerted[0]}"),
            ("patients", "/patients"),
        ):
            plan = query_plans(Path(config.storage.database), await statements_of(store, client, path))
            scans = full_scans(plan)
            missed |= bool(scans)
            print(f"  {name}{'   <- FULL SCAN' if scans else ''}")
            for line in dict.fromkeys(plan):
                print(f"    {line}")
    store.close()
    return 1 if missed else 0


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
