"""Audit at scale (issue #8, benchmark 4): `grants audit check` and `grants audit report` over generated province-years.

Target: a province-year (~200,000 events) checked and reported in under 30 s each, time linear in events, memory flat.

The province-year: 150 grants over the 14 cities of Hunan and the eight programs, each through all six stages with
~1,100 small tranches to distinct payees (under the large-fund threshold, so no collective decision is needed), a
return on every tenth grant and a missed payment deadline on every fifteenth; 16,000 people on the grants'
registered beneficiary lists (sealed personal data, one `Person` each), each paid once through the one-card system.
That is ~200,000 events. The events go through the real `GrantLedger` (hash chain, Merkle log, sealed personal data),
not Temporal: each grant and each list is driven in memory by its own commands (every rule checked) and saved in one
go, which is how a backfill would write them.

Measured, each in a fresh process (peak RSS is that process's VmHWM), median of `--rounds`, alternating, as wall time
and as the process's CPU time (on a shared machine the CPU time says what a dedicated core would take):
- `check`: `grants audit check --year Y --format json`, as the CLI runs it;
- `report`: `grants audit report --year Y --format html` (charts included) and `--format xlsx`;
- `read`: the baseline, reading and decoding every event of the year's grants and lists through the ledger's event
  store, with nothing else done: the floor under any replay.
With `--years 10` the ledger holds ten province-years: the one-year commands must cost what they cost over one
(they read only their year's grants), and `audit check` over all ten years shows whether time is linear in events.

Run: `.venv/bin/python bench/audit_scale.py` (one province-year, ~3 minutes to build), `--years 10` (~30 minutes),
or smaller with `--grants 15 --people 1600 --tranches 110`. Keep the built ledger with `--keep DIR` and reuse it.
Results go to bench/results/audit_scale.json (audit_scale_10_years.json for ten). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from domain.clock import SHANGHAI
from domain.commands import (
    AcknowledgeNotice,
    ApplicationDetails,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RecordDisbursement,
    RecordEvaluation,
    RecordMissedDeadline,
    RecordNotice,
    RecordReturn,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.deadlines import DeadlineKind
from domain.grant import Grant
from domain.personal import (
    ID_CHECK_CHARACTERS,
    ID_WEIGHTS,
    ONE_CARD,
    Beneficiary,
    BeneficiaryList,
    PayBeneficiary,
    PersonalData,
    RegisterBeneficiaries,
    beneficiary_list_id,
)
from domain.values import Money, Points
from ledger.application import GrantLedger, open_ledger

RESULTS = Path(__file__).parent / "results" / "audit_scale.json"
TARGET_SECONDS = 30
CITIES = [f"43{code:02d}00" for code in range(1, 14)] + ["433100"]  # 长沙 ... 湘西州 (GB/T 2260)
PROGRAMS = [
    "住院护理补贴",
    "计生家庭健康保险",
    "创业贷款贴息",
    "三结合",
    "暖心家园",
    "青春健康",
    "金秋助学",
    "能力建设",
]
TRANCHE = Money(400_00)  # 400 yuan: ~1,100 of them stay under the major-project threshold of 500,000 CNY
PERSON_STANDARD = Money(1_200_00)
AFTER_THE_YEAR = datetime(2100, 1, 1, tzinfo=UTC)  # "now" for the rules: every project period is over


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def id_number(serial: int) -> str:
    """A valid resident ID number (GB 11643 check character) for person `serial`."""
    body = f"430{serial:014d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK_CHARACTERS[total % 11]


def grant_commands(
    year: int, index: int, tranches: int
) -> tuple[SubmitApplication, list[GrantCommand], list[GrantCommand]]:
    """One grant's application, its steps up to the end of disbursement, and the steps after it."""
    number = f"HN-{year}-BN-{index:04d}"
    appropriated = Money(TRANCHE.fen * tranches)

    ids = itertools.count(1)

    def step(command: type[GrantCommand], actor: str, **fields: object) -> GrantCommand:
        return command(grant_no=number, actor=actor, command_id=f"bench/{number}/{next(ids)}", **fields)  # type: ignore[arg-type]

    details = ApplicationDetails(
        program=PROGRAMS[index % len(PROGRAMS)],
        recipient=f"{CITIES[index % len(CITIES)]} 计划生育协会",
        region=CITIES[index % len(CITIES)],
        fiscal_year=year,
        title=f"{year}年项目 {index}",
        requested=appropriated,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
    )
    application = SubmitApplication(
        grant_no=number, actor="申报人", command_id=f"bench/{number}/apply", details=details
    )
    paying: list[GrantCommand] = [
        step(ApproveApplication, "审批人", approved=appropriated),
        step(RecordNotice, "财政厅", document_no=f"湘财社指〔{year}〕{index}号", issuer="湖南省财政厅",
             issued_on=date(year, 3, 1) + timedelta(days=index % 60), amount=appropriated),
        step(AcknowledgeNotice, "受款方"),
    ]  # fmt: skip
    first_paid = date(year, 5, 1) + timedelta(days=index % 45)
    for tranche in range(tranches):
        paying.append(
            step(RecordDisbursement, "出纳", amount=TRANCHE, payee=f"受助户-{tranche:05d}",
                 paid_on=first_paid + timedelta(days=tranche * 200 // tranches))
        )  # fmt: skip
        if index % 15 == 0 and tranche == tranches // 2:
            due = datetime.combine(first_paid + timedelta(days=30), datetime.min.time(), SHANGHAI)
            paying.append(
                step(RecordMissedDeadline, "GrantLifecycle (deadline timer)", kind=DeadlineKind.PAYMENT, due_at=due)
            )
    if index % 10 == 0:
        paying.append(
            step(RecordReturn, "财务", amount=Money(TRANCHE.fen * tranches // 50), returned_on=date(year, 12, 1),
                 reason="项目结余", document_no=f"湘财缴〔{year}〕{index}号")
        )  # fmt: skip
    closing = [
        step(StartPublicity, "项目办", starts_on=date(year, 12, 5), ends_on=date(year, 12, 12), place="公示栏"),
        step(ConcludePublicity, "项目办", concluded_on=date(year, 12, 13)),
        step(SubmitFinalReport, "受款方", people_reached=100 + index, money_used=Money(appropriated.fen * 9 // 10),
             satisfaction=Points(850 + index % 150)),
        step(RecordEvaluation, "审计", score=Points(550 + (index * 37) % 450)),
        step(CloseGrant, "项目办"),
    ]  # fmt: skip
    return application, paying, closing


def build_year(ledger: GrantLedger, year: int, grants: int, people: int, tranches: int) -> None:
    serial = year * 100_000
    for index in range(grants):
        application, paying, closing = grant_commands(year, index, tranches)
        grant = Grant.submit(application)
        for command in paying:
            grant.execute(command, AFTER_THE_YEAR)
        ledger.save(grant)
        listed = people // grants + (1 if index < people % grants else 0)
        serial = _pay_people(ledger, application.grant_no, serial, listed, year)
        for command in closing:
            grant.execute(command, AFTER_THE_YEAR)
        ledger.save(grant)
    progress(f"  {year}: {grants} grants, {people} people; the ledger holds {ledger.count_events():,} events")


def _pay_people(ledger: GrantLedger, grant_no: str, serial: int, listed: int, year: int) -> int:
    cards = {}
    beneficiaries = []
    for _ in range(listed):
        serial += 1
        number = id_number(serial)
        person_id = ledger.vault.person_id(number)
        cards[person_id] = f"6217{serial:015d}"
        personal = PersonalData(
            person_id=person_id, name=f"受益人{serial}", id_number=number, card_account=cards[person_id],
            category="计生特殊家庭",
        )  # fmt: skip
        beneficiaries.append(
            Beneficiary(person_id=person_id, personal=personal, township="某镇", amount=PERSON_STANDARD)
        )
    ledger.register_beneficiaries(
        RegisterBeneficiaries(
            grant_no=grant_no, actor="项目办", beneficiaries=tuple(beneficiaries), pay_by=date(year, 12, 31)
        )
    )
    names: BeneficiaryList = ledger.repository.get(beneficiary_list_id(grant_no))
    for person_id, card in cards.items():
        names.pay(
            PayBeneficiary(
                grant_no=grant_no, actor="出纳", person_id=person_id, amount=PERSON_STANDARD,
                paid_on=date(year, 9, 1), channel=ONE_CARD, card_account=card,
            ),
            card,
        )  # fmt: skip
    ledger.save(names)
    return serial


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM; see bench/verify_speed.py for why not ru_maxrss)."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(what: str, url: str, year: int | None, out: Path) -> None:
    """In a fresh process: run one measured thing, then print its seconds and peak RSS as JSON."""
    os.environ["GRANTS_LEDGER_URL"] = url
    from cli.main import grants  # noqa: PLC0415 - imported here, after the environment names the ledger

    scope = ["--year", str(year)] if year is not None else []
    arguments = {
        "check": ["audit", "check", *scope, "--format", "json"],
        "report-html": ["audit", "report", *scope, "--format", "html", "--out", str(out)],
        "report-xlsx": ["audit", "report", *scope, "--format", "xlsx", "--out", str(out)],
    }
    started, cpu_started = time.perf_counter(), time.process_time()
    if what == "read":
        events = read_everything(url, year)
    else:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            grants.main(arguments[what], standalone_mode=False)  # check exits 1: the generated grants have findings
        events = 0
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                      "cpu_seconds": round(time.process_time() - cpu_started, 2),
                      "rss_peak_mib": round(peak_rss_mib(), 1), "events": events}))  # fmt: skip


def read_everything(url: str, year: int | None) -> int:
    """The baseline: decode every event of the year's grants and their lists, and do nothing with them."""
    from audit.check import applications  # noqa: PLC0415
    from domain.grant import grant_id  # noqa: PLC0415

    count = 0
    with open_ledger(url) as ledger:
        for grant_no, details in applications(ledger):
            if year is None or details.fiscal_year == year:
                for aggregate in (grant_id(grant_no), beneficiary_list_id(grant_no)):
                    count += sum(1 for _ in ledger.repository.event_store.get(aggregate))
    return count


def measure(what: str, url: str, year: int | None, folder: Path) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this very script, with our own arguments
        [sys.executable, __file__, "--child", what, "--url", url, "--child-year", str(year or 0),
         "--out", str(folder / f"out-{what}")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--years", type=int, default=1, help="province-years in the ledger (1 or 10)")
    parser.add_argument("--grants", type=int, default=150)
    parser.add_argument("--people", type=int, default=16_000)
    parser.add_argument("--tranches", type=int, default=1_100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the ledger in this folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--child-year", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.child_year or None, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args, args.keep or Path(tmp))


def run(args: argparse.Namespace, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shape = f"{args.years}y-{args.grants}g-{args.people}p-{args.tranches}t"
    path = folder / f"ledger-{shape}.sqlite"
    url = f"sqlite:///{path}"
    last_year = 2020
    build_seconds = None
    if not path.exists():
        progress(f"building {args.years} province-year(s) in {path} ...")
        started = time.perf_counter()
        with open_ledger(url, master_key=b"\x07" * 32) as ledger:
            for year in range(last_year - args.years + 1, last_year + 1):
                build_year(ledger, year, args.grants, args.people, args.tranches)
        build_seconds = round(time.perf_counter() - started)
        progress(f"  built in {build_seconds} s")
    with open_ledger(url) as ledger:
        events = ledger.count_events()
    # A report is of one year; over all the years, only the check (and the baseline) apply.
    scopes: list[tuple[int | None, list[str]]] = [(last_year, ["read", "check", "report-html", "report-xlsx"])]
    if args.years > 1:
        scopes.append((None, ["read", "check"]))
    results: dict[str, dict[str, object]] = {}
    for scope, runs in scopes:
        label = f"year {scope}" if scope else f"all {args.years} years"
        timings: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
        for round_no in range(args.rounds):
            for name in runs if round_no % 2 == 0 else list(reversed(runs)):
                timings[name].append(measure(name, url, scope, folder))
                progress(f"  {label} round {round_no + 1}: {name} {timings[name][-1]}")
        results[label] = {
            name: {
                "seconds_median": statistics.median(t["seconds"] for t in timed),
                "seconds_by_round": [t["seconds"] for t in timed],
                "cpu_seconds_median": statistics.median(t["cpu_seconds"] for t in timed),
                "rss_peak_mib": max(t["rss_peak_mib"] for t in timed),
            }
            for name, timed in timings.items()
        }
        results[label]["events_read"] = timings["read"][0]["events"]
    summary = {
        "script": "bench/audit_scale.py",
        "question": f"audit check and report of a province-year under {TARGET_SECONDS} s, linear, flat memory",
        "ledger": {"years": args.years, "grants_per_year": args.grants, "people_per_year": args.people,
                   "tranches_per_grant": args.tranches, "events": events,
                   "database_mib": round(path.stat().st_size / 2**20), "build_seconds": build_seconds},
        "rounds": args.rounds,
        "results": results,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "eventsourcing": version("eventsourcing"), "matplotlib": version("matplotlib")},
    }  # fmt: skip
    print_table(summary)
    results_file = RESULTS if args.years == 1 else RESULTS.with_name(f"audit_scale_{args.years}_years.json")
    results_file.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def print_table(summary: dict[str, object]) -> None:
    ledger = summary["ledger"]
    print(f"\naudit at scale: {ledger['events']:,} events ({ledger['years']} province-year(s))")  # type: ignore[index]
    print(f"{'scope':<16} {'run':<12} {'median s':>9} {'cpu s':>7} {'x read':>7} {'peak MiB':>9}  target")
    for label, runs in summary["results"].items():  # type: ignore[attr-defined]
        read = runs["read"]["seconds_median"]
        for name in [name for name in runs if name != "events_read"]:
            seconds = runs[name]["seconds_median"]
            verdict = (
                ""
                if name == "read" or label.startswith("all")
                else ("PASS" if seconds < TARGET_SECONDS else f"MISS (> {TARGET_SECONDS} s)")
            )
            peak, cpu = runs[name]["rss_peak_mib"], runs[name]["cpu_seconds_median"]
            print(f"{label:<16} {name:<12} {seconds:>9.2f} {cpu:>7.2f} {seconds / read:>7.2f} {peak:>9.1f}  {verdict}")


if __name__ == "__main__":
    main()
