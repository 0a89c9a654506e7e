"""Auditors' commands: `grants audit verify|check|timeline|report|state|reconcile`, `ledger checkpoint`,
`import-history`."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import click

from audit.check import VIOLATION, check_ledger
from audit.reconcile import DIFFERENT, GrantReconciliation, reconcile, summary_line
from audit.report import build_report
from audit.report_text import as_json, markdown
from audit.timeline import state_as_of, timeline
from audit.timeline_html import timeline_page
from audit.verify import VerifyReport, verify_grant, verify_ledger
from cli.errors import fail, refusals_fail
from cli.render import status_block, table
from cli.rules_file import load_rules
from cli.settings import Settings
from domain.clock import SHANGHAI
from domain.deadlines import end_of_day
from domain.errors import InvalidInputError
from ledger.application import open_ledger
from ledger.checkpoints import (
    CheckpointSigner,
    export_text,
    key_id_of,
    load_public_key,
    load_signing_key,
    parse_export,
)
from ledger.history_import import DECISION_RECORDED, holds_personal_data, parse_history
from ledger.personal_data import load_master_key
from ledger.projections import GrantProjection, version_index
from ledger.read_models import opened_read_models
from worker import connect

VERIFICATION_FAILED = 1
REPORT_FORMATS = ("md", "html", "json", "xlsx")


@click.group()
def audit() -> None:
    """What auditors run over the ledger."""


@audit.command()
@click.argument("grant_no", required=False)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint exported earlier (`grants ledger checkpoint --export`): the ledger must still contain it.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The ledger's public key (PEM); default: the public half of GRANTS_SIGNING_KEY_FILE.",
)
@click.pass_obj
def verify(settings: Settings, grant_no: str | None, against: Path | None, key_file: Path | None) -> None:
    """Check every hash chain, the Merkle log and every signed checkpoint; exit 1 on any mismatch."""
    with refusals_fail():
        public_key = load_public_key(key_file or settings.signing_key_file)
        exported = parse_export(against.read_text(), str(against)) if against else None
    if exported is not None and key_id_of(exported[1]) != key_id_of(public_key):
        click.echo(f"warning: {against} was signed by key {key_id_of(exported[1])}, not the ledger's", err=True)
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        if grant_no:
            report = verify_grant(ledger, grant_no)
        else:
            report = verify_ledger(
                ledger,
                public_key,
                against=exported[0] if exported else None,
                progress=lambda done: click.echo(f"  verified {done:,} records ...", err=True),
            )
    click.echo(summary(report, grant_no, against))
    if not report.ok:
        raise SystemExit(VERIFICATION_FAILED)


def summary(report: VerifyReport, grant_no: str | None, against: Path | None) -> str:
    if not report.ok:
        lines = [f"ledger verification FAILED: {len(report.problems)} problem(s)"]
        lines += [f"  - {problem}" for problem in report.problems]
        return "\n".join(lines)
    if grant_no:
        return f"verified grant {grant_no}: {report.records} records, hash chain intact ({report.seconds:.2f} s)"
    held = f", and the checkpoint in {against}" if against else ""
    return (
        f"verified: {report.records} records in {report.chains} hash chains, every chain intact; "
        f"the Merkle log matches {report.checkpoints} signed checkpoint(s){held} ({report.seconds:.2f} s)"
    )


@audit.command()
@click.option("--grant", "grant_no", help="Check one grant only.")
@click.option("--year", "fiscal_year", type=int, help="Check the grants of one fiscal year.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    help="Count deadlines and surplus still open at this date (its end, Asia/Shanghai) or time as missed, "
    "e.g. today's date. Default: each grant's last event (the same ledger always gives the same findings).",
)
@click.pass_obj
def check(settings: Settings, grant_no: str | None, fiscal_year: int | None, output: str, as_of: str | None) -> None:
    """Replay the ledger and judge every step by the rules again; exit 1 if any finding is a violation."""
    with refusals_fail():
        until = None if as_of is None else moment(as_of)
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        rules = load_rules(settings.rules_file).fund_rules
        findings = check_ledger(ledger, [grant_no] if grant_no else None, fiscal_year, rules, as_of=until)
    if output == "json":
        click.echo(json.dumps([finding.as_dict() for finding in findings], ensure_ascii=False, indent=2))
    elif findings:
        click.echo("\n".join(str(finding) for finding in findings))
    else:
        scope = f"grant {grant_no}" if grant_no else f"fiscal year {fiscal_year}" if fiscal_year else "every grant"
        click.echo(f"no findings: {scope} complies with the rules on replay")
    if any(finding.severity == VIOLATION for finding in findings):
        raise SystemExit(VERIFICATION_FAILED)


@audit.command("timeline")
@click.argument("grant_no")
@click.option("--format", "output", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.pass_obj
def show_timeline(settings: Settings, grant_no: str, output: str) -> None:
    """Every event with time, actor, stage, running totals, the decision it rests on, and its hash."""
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        entries = timeline(ledger, grant_no)
    if output == "json":
        click.echo(json.dumps([entry.as_dict() for entry in entries], ensure_ascii=False, indent=2))
        return
    if output == "html":
        click.echo(timeline_page(grant_no, entries, datetime.now(UTC)), nl=False)
        return
    headers = [
        "#",
        "time (Asia/Shanghai)",
        "event",
        "actor",
        "stage",
        "appropriated",
        "disbursed",
        "returned",
        "decision",
        "hash",
    ]
    rows = [
        [str(e.version), e.time, e.event, e.actor, e.stage, e.appropriated, e.disbursed, e.returned, e.decision, e.hash]
        for e in entries
    ]
    click.echo(table(headers, rows, right=[0, 5, 6, 7]))


@audit.command()
@click.option("--year", "fiscal_year", required=True, type=int, help="The fiscal year reported on.")
@click.option("--region", help="Only the grants of one region (GB/T 2260 code, e.g. 430100).")
@click.option("--format", "output", type=click.Choice(REPORT_FORMATS), required=True)
@click.option(
    "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write it here."
)
@click.pass_obj
def report(settings: Settings, fiscal_year: int, region: str | None, output: str, out_file: Path) -> None:
    """The evaluation report (绩效评价) of a year: every grant's figures and findings, summed per region and program."""
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        rules = load_rules(settings.rules_file).fund_rules
        figures = build_report(ledger, fiscal_year, region, rules)
    made = datetime.now(UTC)
    # matplotlib and openpyxl take about a second to import: only the formats that need them load them.
    try:
        if output == "xlsx":
            from audit.report_xlsx import write_workbook  # noqa: PLC0415

            write_workbook(figures, out_file, made)
        elif output == "html":
            from audit.report_html import report_page  # noqa: PLC0415

            out_file.write_text(report_page(figures, made), encoding="utf-8")
        else:
            out_file.write_text((markdown if output == "md" else as_json)(figures, made), encoding="utf-8")
    except OSError as error:
        fail(f"cannot write the report to {out_file}: {error.strerror}. Fix: name a file in a folder you can write to")
    total = figures.total
    click.echo(
        f"evaluation report of {figures.scope}: {total.grants} grant(s), {total.net_disbursed.yuan()} of "
        f"{total.appropriated.yuan()} yuan disbursed net of returns, {len(figures.findings)} finding(s); "
        f"written to {out_file}"
    )


@audit.command("state")
@click.argument("grant_no")
@click.option("--as-of", "as_of", required=True, help="A date (its end, Asia/Shanghai) or a time, e.g. 2020-10-01.")
@click.pass_obj
def state_at(settings: Settings, grant_no: str, as_of: str) -> None:
    """The grant's state as it was at a date or time."""
    with refusals_fail():
        at = moment(as_of)
    with refusals_fail():
        quorum = load_rules(settings.rules_file).fund_rules.quorum_fraction
    with (
        refusals_fail(),
        open_ledger(settings.ledger_url) as ledger,
        version_index(ledger, settings.ledger_url, quorum) as version_at,
    ):
        state = state_as_of(ledger, grant_no, at, version_at)
    if state is None:
        click.echo(f"grant {grant_no}: no application had been recorded by {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
        return
    click.echo(status_block(state, f"as of {at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)"))


def moment(text: str) -> datetime:
    """`2020-10-01` (the end of that day in Shanghai) or `2020-10-01T12:00[+08:00]` (Shanghai when no offset)."""
    try:
        if len(text) == len("2020-10-01"):
            return end_of_day(date.fromisoformat(text))
        at = datetime.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is neither a date (2020-10-01) nor a time (2020-10-01T12:00)"
        raise InvalidInputError(msg) from None
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


@audit.command("reconcile")
@click.option("--year", "fiscal_year", type=int, help="Reconcile the grants of one fiscal year.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def reconcile_command(settings: Settings, fiscal_year: int | None, output: str) -> None:
    """Compare every grant's workflow history in Temporal with the ledger; exit 1 on any difference."""

    async def compare_all() -> list[GrantReconciliation]:
        client = await connect(settings)
        with open_ledger(settings.ledger_url) as ledger:
            return await reconcile(client, ledger, fiscal_year)

    with refusals_fail():
        try:
            results = asyncio.run(compare_all())
        except RuntimeError as error:
            fail(
                f"cannot reach Temporal ({error}). Fix: start the local stack with `grants up`, "
                "or point GRANTS_TEMPORAL_ADDRESS at your Temporal server"
            )
    different = any(result.outcome == DIFFERENT for result in results)
    if output == "json":
        report = {"consistent": not different, "grants": [result.as_dict() for result in results]}
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join([*(str(result) for result in results), summary_line(results)]))
    if different:
        raise SystemExit(VERIFICATION_FAILED)


@click.command("import-history")
@click.argument("history_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_history(settings: Settings, history_file: Path) -> None:
    """Import grant histories, minutes and beneficiary lists made elsewhere (JSON lines), for audit only.

    The fields of each line are listed in the README and in ledger/history_import.py.
    """
    try:
        text = history_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        fail(
            f"{history_file}: not UTF-8 text (byte {error.start}: {error.reason}). "
            "Fix: save it as UTF-8; nothing was imported"
        )
    with refusals_fail():
        events = parse_history(text.splitlines(), str(history_file))
        # Beneficiary lists are sealed per person, so only a file that holds one needs the master key.
        master_key = load_master_key(settings.master_key_file) if holds_personal_data(events) else None
    with refusals_fail(), open_ledger(settings.ledger_url, master_key=master_key) as ledger:
        imported = ledger.import_history(events)
    decisions = sum(event.name == DECISION_RECORDED for event in events)
    click.echo(
        f"imported {len(imported)} grant(s) and {decisions} decision(s), {len(events)} event(s), from "
        f"{history_file}, unchecked; judge them with `grants audit check`"
    )


@click.group("ledger")
def ledger_group() -> None:
    """The ledger's own operations."""


@ledger_group.command()
@click.option("--export", "export_file", type=click.Path(dir_okay=False, path_type=Path), help="Write it here.")
@click.pass_obj
def checkpoint(settings: Settings, export_file: Path | None) -> None:
    """Sign the log as it stands now, and optionally export the checkpoint for someone outside to keep."""
    if export_file is not None and not export_file.parent.is_dir():
        fail(f"cannot export to {export_file}: {export_file.parent} is not a directory. Fix: name a file in one")
    with refusals_fail():
        signer = CheckpointSigner(load_signing_key(settings.signing_key_file))
    with refusals_fail(), open_ledger(settings.ledger_url, signer, settings.checkpoint_every) as ledger:
        taken = ledger.take_checkpoint("requested")
    if export_file is not None:
        try:
            export_file.write_text(export_text(taken, signer.public_key))
        except OSError as error:
            fail(
                f"cannot export to {export_file}: {error.strerror}. Fix: name a file you may write; {taken.describe()}"
            )
        click.echo(f"{taken.describe()} written to {export_file}")
    else:
        click.echo(f"{taken.describe()}, signed by key {taken.key_id}")


@ledger_group.command("rebuild-read-models")
@click.pass_obj
def rebuild_read_models(settings: Settings) -> None:
    """Empty the read models (`grants list` reads them) and project the whole ledger into them again."""
    started = time.perf_counter()
    with refusals_fail():
        quorum = load_rules(settings.rules_file).fund_rules.quorum_fraction
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger, opened_read_models(settings.ledger_url) as engine:
        projection = GrantProjection(ledger, engine, quorum)
        read = projection.rebuild()
        position = projection.position()
    click.echo(
        f"rebuilt the read models from {read:,} ledger events (up to notification {position:,}) "
        f"in {time.perf_counter() - started:.2f} s"
    )
