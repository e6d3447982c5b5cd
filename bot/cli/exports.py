"""The commands that take a clinic's records out of the database: `backup` (the whole database),
`report` (a CSV without free text and a summary) and `export-fhir` (a FHIR R4 Bundle). Every file
they write is readable by its owner alone."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.clinic.backup import back_up
from bot.clinic.fhir import ExportError, bundle, default_out_path
from bot.clinic.report import build_report, csv_text, default_csv_path, format_summary
from bot.guidance.config import Config, load_config
from bot.guidance.loader import load_guidance
from bot.privacy.private_files import write_private
from bot.store.database import Store


def backup(args: argparse.Namespace, out: TextIO) -> int:
    """Copy the database consistently while the bot runs (SQLite's online backup)."""
    back_up(load_config(args.config).storage.database, Path(args.to), args.force)
    print(f"backed up to {args.to}", file=out)
    return 0


def report(args: argparse.Namespace, out: TextIO) -> int:
    """Write a CSV of a clinic's recent follow-ups (one row per check-in, no free text) and print
    a summary."""
    config = load_config(args.config)
    clinic = config.clinic(args.clinic)
    if _no_database(config):
        return 2
    now = time.time()
    store = Store(config.storage.database)
    try:
        result = build_report(store, clinic, args.since, now)
    finally:
        store.close()
    path = write_private(args.csv or default_csv_path(clinic, now), csv_text(result.rows))
    print(format_summary(result), file=out)
    print(f"CSV: {path}", file=out)
    return 0


def export_fhir(args: argparse.Namespace, out: TextIO) -> int:
    """Write a FHIR R4 Bundle of one patient's follow-ups, or of every patient of the clinic."""
    config = load_config(args.config)
    clinic = config.clinic(args.clinic)
    if _no_database(config):
        return 2
    guidance = load_guidance(clinic.guidance_folder)
    now = time.time()
    store = Store(config.storage.database)
    try:
        result = bundle(store, guidance, clinic, now, args.patient)
    except ExportError as error:
        print(f"aftercare: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    if args.out == "-":
        out.write(text)
        return 0
    path = write_private(args.out or default_out_path(clinic, now, args.patient), text)
    print(f"FHIR R4 Bundle ({len(result['entry'])} resources): {path}", file=out)
    return 0


def _no_database(config: Config) -> bool:
    """Say so when the configured database does not exist: reading must not create an empty one."""
    if Path(config.storage.database).is_file():
        return False
    print(f"aftercare: no database at {config.storage.database}", file=sys.stderr)
    return True
