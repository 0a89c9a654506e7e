"""How long does registering a province's nursing-subsidy list take, against writing the same rows raw?

Ours: `grants beneficiaries register GRANT --file list.csv` for a 16,390-person list (the seed's nursing-subsidy
year, 住院护理补贴), run in-process through the CLI: the CSV is read and every row validated (ID checksum, amount),
each person gets a data key, their personal data is sealed with it (AES-GCM), keyed person ids are derived, and the
list and one Person aggregate per beneficiary are saved through the hash-chained ledger in one transaction.
Baseline: the same CSV's rows inserted raw into a SQLite table (csv reader + executemany, one transaction) in a file
beside it. Alternating, median of three rounds; prints both times and the ratio, and checks ours against the
target of 30 s (issue #8, item 6).

Run: `.venv/bin/python bench/bulk_registration.py [--people 16390]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1]))  # the checkout: the application comes from the tests' builders

from cli.main import grants
from ledger.application import open_ledger
from ledger.personal_data import ensure_master_key
from tests.builders import submit

TARGET_SECONDS = 30.0
ROUNDS = 3
SEED_YEAR_PEOPLE = 16_390
RESULTS = Path(__file__).parent / "results" / "bulk_registration.json"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
HEADER = ["name", "id_number", "card_account", "category", "township", "amount"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
TOWNSHIPS = ("莲花镇", "黄花镇", "高桥镇", "金井镇", "北山镇")


def id_number(index: int) -> str:
    """A valid resident ID (GB 11643 checksum) for a person born in Changsha in 1950-1989."""
    body = f"430102{1950 + index % 40}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def write_list(path: Path, people: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for index in range(people):
            name = SURNAMES[index % len(SURNAMES)] + f"某{index}"
            card = f"6217{index:015d}"
            writer.writerow([name, id_number(index), card, "计生特殊家庭", TOWNSHIPS[index % len(TOWNSHIPS)], "1200"])


def ours(list_file: Path, people: int) -> float:
    """Seconds for `grants beneficiaries register` on a fresh ledger holding one grant."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        ensure_master_key(data_dir / "master.key")
        with open_ledger(f"sqlite:///{data_dir / 'ledger.sqlite'}") as ledger:
            ledger.execute(submit("HN-2020-HL-0001"))
        env = {"GRANTS_DATA_DIR": str(data_dir), "GRANTS_ACTOR": "officer"}
        started = time.perf_counter()
        result = CliRunner().invoke(
            grants, ["beneficiaries", "register", "HN-2020-HL-0001", "--file", str(list_file)], env=env
        )
        elapsed = time.perf_counter() - started
        if result.exit_code != 0 or f"{people} people registered" not in result.output:
            raise SystemExit(f"registration failed: {result.output}")
        return elapsed


def baseline(list_file: Path) -> float:
    """Seconds to insert the CSV's rows raw into a SQLite table, in one transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        connection = sqlite3.connect(Path(tmp) / "raw.sqlite")
        connection.execute(f"CREATE TABLE people ({', '.join(f'{column} TEXT' for column in HEADER)})")
        with list_file.open(newline="", encoding="utf-8") as file, connection:
            rows = csv.reader(file)
            next(rows)
            placeholders = ", ".join("?" * len(HEADER))
            connection.executemany(f"INSERT INTO people VALUES ({placeholders})", rows)  # noqa: S608 - our columns
        connection.close()
        return time.perf_counter() - started


def main(people: int) -> None:
    seconds: dict[str, list[float]] = {"ours": [], "baseline": []}
    with tempfile.TemporaryDirectory() as tmp:
        list_file = Path(tmp) / "list.csv"
        write_list(list_file, people)
        for round_no in range(ROUNDS):  # alternate, so that noise falls on both
            for name in ("ours", "baseline") if round_no % 2 == 0 else ("baseline", "ours"):
                elapsed = ours(list_file, people) if name == "ours" else baseline(list_file)
                seconds[name].append(elapsed)
                print(f"  round {round_no + 1} {name}: {elapsed:.2f} s", file=sys.stderr)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = median["ours"] / median["baseline"]
    verdict = "PASS" if median["ours"] <= TARGET_SECONDS else "FAIL"
    print(f"{'':<58}  seconds")
    print(f"{'ours: grants beneficiaries register (sealed, chained)':<58}  {median['ours']:>7.2f}")
    print(f"{'baseline: the same rows inserted raw into SQLite':<58}  {median['baseline']:>7.2f}")
    print(f"ratio {ratio:.0f}x the raw inserts; {verdict} (ours <= {TARGET_SECONDS:.0f} s for {people:,} people)")
    RESULTS.parent.mkdir(exist_ok=True)
    results = {"people": people, "seconds": median, "ratio": round(ratio, 1), "verdict": verdict}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=SEED_YEAR_PEOPLE, help="people on the list")
    main(parser.parse_args().people)
