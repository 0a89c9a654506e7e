"""One table of the last benchmark run: each question, our figure against its baseline, the target, the verdict.

Reads what each script wrote under bench/results/ (run `make bench` first) and writes bench/results.json with the
machine's description beside the rows. A result a script has not written yet shows as "not run".

Run: `.venv/bin/python bench/summary.py`.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
SUMMARY = Path(__file__).parent / "results.json"

Row = tuple[str, str, str, str]  # figure, target, verdict, script


def append(result: dict[str, Any]) -> Row:
    rows = result["rows"]
    worst = max(rows, key=lambda row: row["ratio"])
    ratios = ", ".join(f"{r['store']} {r['level']} {r['per_save']}/save {r['ratio']:.2f}" for r in rows)
    verdict = "PASS" if all(row["verdict"] == "PASS" for row in rows) else f"FAIL (worst {worst['ratio']:.2f})"
    return f"ours / plain eventsourcing: {ratios}", "<= 1.2x", verdict, "append_overhead.py"


def verify(result: dict[str, Any]) -> Row:
    figure = (
        f"{result['speed_ratio']:.2f} of the bare loop's speed at {result['records']:,} records "
        f"({result['checkpoints']:,} checkpoints; {result.get('verify_processes', 1)} processes); "
        f"peak RSS {result['memory_ratio']:.2f}x of a tenth as many"
    )
    verdict = "PASS" if result["speed_verdict"] == result["memory_verdict"] == "PASS" else "FAIL"
    return figure, ">= 0.33; <= 1.2x", verdict, "verify_speed.py"


def lifecycle(result: dict[str, Any]) -> Row:
    rates = result["per_second"]
    figure = f"{rates['ours']:.1f} vs {rates['baseline']:.1f} lifecycles/s: {result['ratio']:.2f}"
    return figure, ">= 0.8", result["verdict"], "lifecycle.py"


def audit_scale(result: dict[str, Any]) -> Row:
    (year,) = result["results"].values()
    check, report = year["check"], year["report-html"]
    figure = (
        f"{result['ledger']['events']:,} events: check {check['seconds_median']:.1f} s, HTML report "
        f"{report['seconds_median']:.1f} s; peak RSS {max(check['rss_peak_mib'], report['rss_peak_mib']):.0f} MiB"
    )
    verdict = "PASS" if max(check["seconds_median"], report["seconds_median"]) < 30 else "FAIL"
    return figure, "< 30 s", verdict, "audit_scale.py"


def as_of(result: dict[str, Any]) -> Row:
    p50, p95 = result["p50_ms"], result["p95_ms"]
    figure = (
        f"{result['events']:,}-event grant: p50 {p50['as_of']:.0f} ms vs {p50['rebuild']:.0f} ms rebuilt, "
        f"p95 {p95['as_of']:.0f} vs {p95['rebuild']:.0f} ms"
    )
    return figure, "(reported)", "-", "as_of.py"


def bulk(result: dict[str, Any]) -> Row:
    seconds = result["seconds"]
    figure = f"{result['people']:,} people in {seconds['ours']:.1f} s ({result['ratio']:.0f}x raw inserts)"
    return figure, "< 30 s", result["verdict"], "bulk_registration.py"


QUESTIONS: list[tuple[str, str, Callable[[dict[str, Any]], Row]]] = [
    ("1 append", "append_overhead.json", append),
    ("2 verify", "verify_speed.json", verify),
    ("3 lifecycle", "lifecycle.json", lifecycle),
    ("4 audit at scale", "audit_scale.json", audit_scale),
    ("5 as-of queries", "as_of.json", as_of),
    ("6 bulk registration", "bulk_registration.json", bulk),
]


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
    }


def main() -> None:
    rows = []
    for question, file_name, summarise in QUESTIONS:
        path = RESULTS / file_name
        figure, target, verdict, script = (
            summarise(json.loads(path.read_text())) if path.exists() else ("not run", "", "-", file_name)
        )
        rows.append({"question": question, "figure": figure, "target": target, "verdict": verdict, "script": script})
    width = max(len(row["question"]) for row in rows)
    for row in rows:
        print(f"{row['question']:<{width}}  {row['verdict']:<6}  {row['target']:<16}  {row['figure']}")
    SUMMARY.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {SUMMARY.relative_to(Path.cwd()) if SUMMARY.is_relative_to(Path.cwd()) else SUMMARY}")


if __name__ == "__main__":
    sys.exit(main())
