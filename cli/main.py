"""`grants`: the officers', auditors' and operators' command line.

Every step command sends one Workflow Update to the grant's workflow and prints one line: what was
recorded, the stage, and what the grant waits for next. A refusal prints one line naming the grant,
the rule and the fix, exits with status 2, and writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import date
from typing import Any, NoReturn, TypeVar

import click
import structlog
from eventsourcing.persistence import PersistenceError

from audit.history import history_rows
from cli import demo as demo_scenario
from cli.account_commands import accounts
from cli.audit_commands import audit, import_history, ledger_group
from cli.config_commands import config_group, ledger_init
from cli.decision_commands import decision
from cli.errors import SYSTEM_FAILURE, USAGE_ERROR, fail, one_line, refusals_fail
from cli.gateway import GrantGateway, WorkerUnavailableError
from cli.logs import configure_logging
from cli.operations import stuck
from cli.params import DATE, POINTS, YUAN
from cli.personal_data_commands import beneficiaries, erase_person
from cli.proof_commands import prove
from cli.render import grants_table, history_table, publication, result_line, status_block
from cli.rules_file import load_rules
from cli.serve_commands import serve
from cli.settings import Settings
from cli.stack import run_stack, start_detached, stop_detached
from cli.staff_commands import staff
from domain.commands import (
    REGION_CODE,
    AcknowledgeNotice,
    ApplicationDetails,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RaiseObjection,
    RecordDisbursement,
    RecordEvaluation,
    RecordMajorChange,
    RecordNotice,
    RecordReturn,
    RejectApplication,
    ResolveObjection,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.errors import InvalidInputError
from domain.roles import Role
from domain.stages import Stage
from domain.state import GrantState
from domain.values import Money, Points
from ledger.application import open_ledger
from ledger.personal_data import load_master_key
from ledger.projections import current_grants
from ledger.read_models import GrantFilter
from worker import connect
from worker import main as worker_main
from workflows.grant_lifecycle import workflow_id_for

T = TypeVar("T")
ROLE_HELP = "The role you act in (officer, approver, ...): a step it may not take is refused before it is recorded."
log = structlog.get_logger(__name__)
DECISION_HELP = "The collective decision (三重一大) it rests on, as BODY:MINUTES (see `grants decision record`)."


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_object(Settings)  # type: ignore[assignment]
    return settings


def run(call: Coroutine[Any, Any, T]) -> T:
    """Run one async call; infrastructure trouble becomes a one-line error with the fix."""
    try:
        return asyncio.run(call)
    except WorkerUnavailableError as error:
        fail(str(error), SYSTEM_FAILURE)
    except RuntimeError as error:
        if "connect" not in str(error).lower():
            raise
        fail(
            f"cannot reach Temporal ({error}). Fix: start the local stack with `grants up` (or `make up`), "
            "or point GRANTS_TEMPORAL_ADDRESS at your Temporal server",
            SYSTEM_FAILURE,
        )


async def send(settings: Settings, command: GrantCommand) -> GrantState:
    rules = load_rules(settings.rules_file)
    gateway = GrantGateway(
        await connect(settings),
        settings.task_queue,
        settings.ledger_url,
        settings.command_timeout_seconds,
        policy=rules.deadlines,
        fund_rules=rules.fund_rules,
    )
    if isinstance(command, SubmitApplication):
        return await gateway.submit(command)
    return await gateway.record(command)


def execute(ctx: click.Context, grant_no: str, build: Callable[[str], GrantCommand], done: str) -> None:
    """Build the command (refusing bad values), send it, and print the result line."""
    settings = settings_of(ctx)
    try:
        command = replace(build(settings.actor), role=settings.role)
    except InvalidInputError as error:
        fail(f"grant {grant_no}: invalid input: {error}. Fix: correct the value and run the command again")
    with refusals_fail():
        state = run(send(settings, command))
    click.echo(result_line(state, done))


@click.group()
@click.option("--actor", envvar="GRANTS_ACTOR", help="Who is recorded as acting (default: your login name).")
@click.option("--role", type=click.Choice([role.value for role in Role]), help=ROLE_HELP)
@click.option("-v", "--verbose", is_flag=True, help="Show the log lines of the commands.")
@click.pass_context
def grants(ctx: click.Context, actor: str | None, role: str | None, verbose: bool) -> None:  # noqa: FBT001 - click flag
    """Grant Ledger: every step of every grant, recorded as an immutable event."""
    level = logging.INFO if verbose else logging.WARNING
    if ctx.invoked_subcommand == "config":  # it reports a configuration's problems itself, all of them
        configure_logging(level)
        return
    with refusals_fail():
        settings = Settings.from_env()
    configure_logging(level, settings.log_format)
    ctx.obj = replace(settings, actor=actor or settings.actor, role=role or settings.role)


# --- the local stack (operators) ------------------------------------------------------------


@grants.command()
@click.option("--detach", is_flag=True, help="Start in the background and return once it is ready.")
@click.pass_context
def up(ctx: click.Context, detach: bool) -> None:  # noqa: FBT001 - click flag
    """Start the local stack: Temporal dev server (Web UI on :8233) and a worker. Ctrl-C stops it."""
    settings = settings_of(ctx)
    configure_logging(logging.INFO, settings.log_format)
    with refusals_fail():
        if detach:
            running = start_detached(settings)
            click.echo(f"local stack up (pid {running.pid}); Web UI: {running.ui_url}; stop it with `grants down`")
        else:
            click.echo(f"starting the local stack; Web UI: {settings.ui_url}; Ctrl-C stops it")
            asyncio.run(run_stack(settings))


@grants.command()
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop a local stack started in the background (`grants up --detach`, `make demo KEEP=1`)."""
    stopped = stop_detached(settings_of(ctx))
    click.echo(f"stopped the local stack (pid {stopped.pid})" if stopped else "no local stack was running")


@grants.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run a worker against GRANTS_TEMPORAL_ADDRESS until SIGINT or SIGTERM (then drain and exit 0)."""
    settings = settings_of(ctx)
    configure_logging(logging.INFO, settings.log_format)
    with refusals_fail():
        asyncio.run(worker_main(settings))


@grants.command()
@click.option("--keep", is_flag=True, help="Leave the stack running afterwards (stop it with `grants down`).")
@click.pass_context
def demo(ctx: click.Context, keep: bool) -> None:  # noqa: FBT001 - click flag
    """Run 14 city grants of Hunan's 2020 transfer through all six stages on a fresh local stack."""
    with refusals_fail():
        demo_scenario.run_demo(settings_of(ctx), keep=keep)


# --- officers' steps --------------------------------------------------------------------------


@grants.command()
@click.argument("grant_no")
@click.option("--program", required=True, help="e.g. 住院护理补贴, 暖心家园, 三结合")
@click.option("--recipient", required=True, help="The recipient organisation.")
@click.option("--region", required=True, help="GB/T 2260 code of the recipient, e.g. 430100.")
@click.option("--year", "fiscal_year", required=True, type=int, help="Fiscal year.")
@click.option("--title", required=True, help="Project title.")
@click.option("--amount", required=True, type=YUAN, help="Requested amount in yuan, e.g. 1200000.00.")
@click.option("--period-start", required=True, type=DATE)
@click.option("--period-end", required=True, type=DATE)
@click.pass_context
def apply(
    ctx: click.Context,
    grant_no: str,
    program: str,
    recipient: str,
    region: str,
    fiscal_year: int,
    title: str,
    amount: Money,
    period_start: date,
    period_end: date,
) -> None:
    """Submit an application (项目申报); this starts the grant's workflow."""

    def build(actor: str) -> SubmitApplication:
        details = ApplicationDetails(
            program=program,
            recipient=recipient,
            region=region,
            fiscal_year=fiscal_year,
            title=title,
            requested=amount,
            period_start=period_start,
            period_end=period_end,
        )
        return SubmitApplication(grant_no=grant_no, actor=actor, details=details)

    execute(ctx, grant_no, build, "application submitted")


@grants.command()
@click.argument("grant_no")
@click.option("--amount", required=True, type=YUAN, help="Approved amount in yuan (at most the requested).")
@click.option("--opinion", default="", help="Review opinion.")
@click.option("--decision", "decision_ref", default="", help=DECISION_HELP)
@click.pass_context
def approve(ctx: click.Context, grant_no: str, amount: Money, opinion: str, decision_ref: str) -> None:
    """Approve the application, possibly for less than requested (a major project on a collective decision)."""
    execute(
        ctx,
        grant_no,
        lambda actor: ApproveApplication(
            grant_no=grant_no, actor=actor, approved=amount, opinion=opinion, decision_ref=decision_ref
        ),
        "application approved",
    )


@grants.command()
@click.argument("grant_no")
@click.option("--reason", required=True)
@click.pass_context
def reject(ctx: click.Context, grant_no: str, reason: str) -> None:
    """Reject the application; the grant ends here."""
    execute(ctx, grant_no, lambda actor: RejectApplication(grant_no=grant_no, actor=actor, reason=reason), "rejected")


@grants.command()
@click.argument("grant_no")
@click.option("--document-no", required=True, help="e.g. 湘财社指〔2020〕36号")
@click.option("--issuer", required=True, help="e.g. 湖南省财政厅")
@click.option("--issued-on", required=True, type=DATE)
@click.option("--amount", required=True, type=YUAN, help="Appropriated amount in yuan (at most the approved).")
@click.option("--budget-subject", default="", help="Budget subject (预算科目).")
@click.pass_context
def notice(
    ctx: click.Context,
    grant_no: str,
    document_no: str,
    issuer: str,
    issued_on: date,
    amount: Money,
    budget_subject: str,
) -> None:
    """Record the finance department's appropriation notice (资金指标文件)."""
    execute(
        ctx,
        grant_no,
        lambda actor: RecordNotice(
            grant_no=grant_no,
            actor=actor,
            document_no=document_no,
            issuer=issuer,
            issued_on=issued_on,
            amount=amount,
            budget_subject=budget_subject,
        ),
        f"notice {document_no} recorded",
    )


@grants.command()
@click.argument("grant_no")
@click.pass_context
def acknowledge(ctx: click.Context, grant_no: str) -> None:
    """Acknowledge receipt of the notice (by the recipient); disbursement may begin."""
    execute(ctx, grant_no, lambda actor: AcknowledgeNotice(grant_no=grant_no, actor=actor), "notice acknowledged")


@grants.command()
@click.argument("grant_no")
@click.option("--amount", required=True, type=YUAN, help="This tranche in yuan.")
@click.option("--paid-on", required=True, type=DATE)
@click.option("--payee", required=True)
@click.option("--voucher", default="", help="Payment voucher number.")
@click.option("--decision", "decision_ref", default="", help=DECISION_HELP)
@click.pass_context
def disburse(
    ctx: click.Context, grant_no: str, amount: Money, paid_on: date, payee: str, voucher: str, decision_ref: str
) -> None:
    """Record one tranche paid out (拨付); a large one rests on a collective decision taken before it."""
    execute(
        ctx,
        grant_no,
        lambda actor: RecordDisbursement(
            grant_no=grant_no,
            actor=actor,
            amount=amount,
            paid_on=paid_on,
            payee=payee,
            voucher=voucher,
            decision_ref=decision_ref,
        ),
        f"disbursement of {amount.yuan()} yuan recorded",
    )


@grants.command("return")
@click.argument("grant_no")
@click.option("--amount", required=True, type=YUAN, help="The amount paid back, in yuan.")
@click.option("--returned-on", required=True, type=DATE)
@click.option("--reason", required=True, help="Why it comes back (e.g. 项目结余, 对象不符合条件).")
@click.option("--document-no", required=True, help="The finance document it came back with (缴款书, 退款凭证).")
@click.pass_context
def return_funds(
    ctx: click.Context, grant_no: str, amount: Money, returned_on: date, reason: str, document_no: str
) -> None:
    """Record money paid back (退回) by the finance department: an event of its own, never an edit."""
    execute(
        ctx,
        grant_no,
        lambda actor: RecordReturn(
            grant_no=grant_no,
            actor=actor,
            amount=amount,
            returned_on=returned_on,
            reason=reason,
            document_no=document_no,
        ),
        f"return of {amount.yuan()} yuan recorded",
    )


@grants.command()
@click.argument("grant_no")
@click.option("--starts-on", required=True, type=DATE)
@click.option("--ends-on", required=True, type=DATE)
@click.option("--place", required=True, help="Where it is posted (notice board, website).")
@click.option("--print", "print_notice", is_flag=True, help="Print the notice to post, with the de-identified list.")
@click.pass_context
def publicize(
    ctx: click.Context,
    grant_no: str,
    starts_on: date,
    ends_on: date,
    place: str,
    print_notice: bool,  # noqa: FBT001 - click flag
) -> None:
    """Start publicity (挂牌公示) for its period."""
    execute(
        ctx,
        grant_no,
        lambda actor: StartPublicity(grant_no=grant_no, actor=actor, starts_on=starts_on, ends_on=ends_on, place=place),
        "publicity started",
    )
    if print_notice:
        settings = settings_of(ctx)
        with refusals_fail():
            master_key = load_master_key(settings.master_key_file)
        with refusals_fail(), open_ledger(settings.ledger_url, master_key=master_key) as ledger:
            click.echo(publication(ledger.state(grant_no), ledger.beneficiaries(grant_no)))


@grants.command("conclude-publicity")
@click.argument("grant_no")
@click.option("--concluded-on", required=True, type=DATE)
@click.pass_context
def conclude_publicity(ctx: click.Context, grant_no: str, concluded_on: date) -> None:
    """Conclude publicity once its period is over."""
    execute(
        ctx,
        grant_no,
        lambda actor: ConcludePublicity(grant_no=grant_no, actor=actor, concluded_on=concluded_on),
        "publicity concluded",
    )


@grants.command("change")
@click.argument("grant_no")
@click.option("--kind", required=True, type=click.Choice(["officer_change", "scope_change"]))
@click.option("--changed-on", required=True, type=DATE)
@click.option("--description", required=True, help="What changes (the new officer, the new scope or budget).")
@click.option("--decision", "decision_ref", default="", help=DECISION_HELP)
@click.pass_context
def change(ctx: click.Context, grant_no: str, kind: str, changed_on: date, description: str, decision_ref: str) -> None:
    """Change a project's responsible officer, or its scope or budget (a major project's on a decision)."""
    execute(
        ctx,
        grant_no,
        lambda actor: RecordMajorChange(
            grant_no=grant_no,
            actor=actor,
            kind=kind,
            changed_on=changed_on,
            description=description,
            decision_ref=decision_ref,
        ),
        f"{kind.replace('_', ' ')} recorded",
    )


@grants.command("object")
@click.argument("grant_no")
@click.option("--raised-on", required=True, type=DATE)
@click.option("--summary", required=True, help="What the objection says (no names: the objector is not recorded).")
@click.pass_context
def raise_objection(ctx: click.Context, grant_no: str, raised_on: date, summary: str) -> None:
    """Record an objection to the posted project; publicity runs a full minimum period after it."""
    execute(
        ctx,
        grant_no,
        lambda actor: RaiseObjection(grant_no=grant_no, actor=actor, raised_on=raised_on, summary=summary),
        "objection recorded",
    )


@grants.command("resolve-objection")
@click.argument("grant_no")
@click.option("--objection", "objection_no", required=True, type=int, help="Its number (see `grants status`).")
@click.option("--resolved-on", required=True, type=DATE)
@click.option("--resolution", required=True)
@click.pass_context
def resolve_objection(ctx: click.Context, grant_no: str, objection_no: int, resolved_on: date, resolution: str) -> None:
    """Record how an objection was resolved."""
    execute(
        ctx,
        grant_no,
        lambda actor: ResolveObjection(
            grant_no=grant_no,
            actor=actor,
            objection_no=objection_no,
            resolved_on=resolved_on,
            resolution=resolution,
        ),
        f"objection #{objection_no} resolved",
    )


@grants.command()
@click.argument("grant_no")
@click.option("--people-reached", required=True, type=int)
@click.option("--money-used", required=True, type=YUAN)
@click.option("--satisfaction", required=True, type=POINTS, help="Beneficiary satisfaction in %, e.g. 98.")
@click.option("--outcomes", default="")
@click.pass_context
def report(
    ctx: click.Context, grant_no: str, people_reached: int, money_used: Money, satisfaction: Points, outcomes: str
) -> None:
    """Submit the final report (项目终期报告) after the project period."""
    execute(
        ctx,
        grant_no,
        lambda actor: SubmitFinalReport(
            grant_no=grant_no,
            actor=actor,
            people_reached=people_reached,
            money_used=money_used,
            satisfaction=satisfaction,
            outcomes=outcomes,
        ),
        "final report submitted",
    )


@grants.command()
@click.argument("grant_no")
@click.option("--score", required=True, type=POINTS, help="Evaluation score 0-100; the rating is derived.")
@click.option("--findings", default="")
@click.pass_context
def evaluate(ctx: click.Context, grant_no: str, score: Points, findings: str) -> None:
    """Record the performance evaluation (绩效评价)."""
    execute(
        ctx,
        grant_no,
        lambda actor: RecordEvaluation(grant_no=grant_no, actor=actor, score=score, findings=findings),
        f"evaluation recorded (score {score})",
    )


@grants.command()
@click.argument("grant_no")
@click.pass_context
def close(ctx: click.Context, grant_no: str) -> None:
    """Close the grant; nothing is recorded after this."""
    execute(ctx, grant_no, lambda actor: CloseGrant(grant_no=grant_no, actor=actor), "grant closed")


# --- reading --------------------------------------------------------------------------------


@grants.command()
@click.argument("grant_no")
@click.pass_context
def status(ctx: click.Context, grant_no: str) -> None:
    """Where the grant stands and what it waits for (from the ledger, the system of record)."""
    settings = settings_of(ctx)
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        state = ledger.state(grant_no)
    click.echo(status_block(state, f"{settings.ui_url}/{workflow_id_for(grant_no)}"))


@grants.command()
@click.argument("grant_no")
@click.pass_context
def history(ctx: click.Context, grant_no: str) -> None:
    """The grant's events in the ledger, in order."""
    with refusals_fail(), open_ledger(settings_of(ctx).ledger_url) as ledger:
        events = ledger.history(grant_no)
    click.echo(history_table(history_rows(events)))


@grants.command("list")
@click.option("--stage", type=click.Choice([str(stage) for stage in Stage]), help="Only grants at this stage.")
@click.option("--region", callback=lambda _ctx, _param, value: region_code(value), help="GB/T 2260 code, e.g. 430100.")
@click.option("--year", "fiscal_year", type=click.IntRange(2000, 2100), help="Fiscal year, e.g. 2020.")
@click.option("--program", help="e.g. 暖心家园 (as recorded in the application).")
@click.option("--overdue", is_flag=True, help="Only grants with a missed deadline whose obligation is still open.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def list_grants(
    ctx: click.Context,
    stage: str | None,
    region: str | None,
    fiscal_year: int | None,
    program: str | None,
    overdue: bool,  # noqa: FBT001 - click flag
    output: str,
) -> None:
    """Every grant with its stage and amounts (yuan), from the read models (brought up to date first)."""
    settings = settings_of(ctx)
    where = GrantFilter(Stage(stage) if stage else None, region, fiscal_year, program, overdue=overdue)
    with refusals_fail():
        quorum = load_rules(settings.rules_file).fund_rules.quorum_fraction
    with refusals_fail():
        summaries = current_grants(settings.ledger_url, quorum, where)
    if output == "json":
        click.echo(json.dumps([summary.as_dict() for summary in summaries], ensure_ascii=False, indent=2))
    elif summaries:
        click.echo(grants_table(summaries))
    else:
        click.echo("no grant matches" if where != GrantFilter() else "no grants in the ledger yet")


def region_code(value: str | None) -> str | None:
    if value is not None and not REGION_CODE.match(value):
        msg = f"{value!r} is not a six-digit GB/T 2260 code (e.g. 430100 for Changsha)"
        raise click.BadParameter(msg)
    return value


grants.add_command(audit)
audit.add_command(prove)
grants.add_command(ledger_group)
ledger_group.add_command(ledger_init)
grants.add_command(config_group)
grants.add_command(import_history)
grants.add_command(beneficiaries)
grants.add_command(decision)
grants.add_command(erase_person)
grants.add_command(stuck)
grants.add_command(staff)
grants.add_command(accounts)
grants.add_command(serve)


def main() -> NoReturn:
    """The `grants` console script: one-line errors for bad usage too, and an exit that skips interpreter teardown.

    Temporal's client keeps Rust threads that can abort CPython's finalisation after a short-lived command
    (temporalio/sdk-python#300, "PyGILState_Release ... finalizing"); every file and ledger is closed by then,
    so we flush the output and leave with `os._exit`.
    """
    code = run_command_line()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_command_line(args: list[str] | None = None) -> int:
    """Run `grants` with `args` (default: the process's) and return its exit status; a user never sees a traceback."""
    try:
        code = grants.main(args=args, standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "grants"
        grant_no = error.ctx.params.get("grant_no") if error.ctx else None
        subject = f"grant {grant_no}: " if grant_no else ""
        message = f"{subject}invalid input: {error.format_message()} Fix: see `{command} --help`"
        click.echo(f"error: {one_line(message)}", err=True)
        code = USAGE_ERROR
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        code = 1
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except (PersistenceError, sqlite3.Error) as error:  # eventsourcing wraps the driver's errors, mostly
        log.info("cli.ledger_unavailable", exc_info=error)
        reason = one_line(" ".join(str(error).split())[:300]) or type(error).__name__
        click.echo(
            f"error: the ledger's database is unavailable ({reason}). Fix: check GRANTS_LEDGER_URL and that the "
            "database is running, then run the command again (`grants -v ...` shows the detail)",
            err=True,
        )
        code = SYSTEM_FAILURE
    except Exception as error:  # the last line of defence: one line for the user, the detail in the log
        log.info("cli.failed", exc_info=error)
        click.echo(
            f"error: the command failed unexpectedly ({type(error).__name__}); nothing more was done. "
            "Fix: run it again with `grants -v ...` and report the log it shows",
            err=True,
        )
        code = SYSTEM_FAILURE
    return code if isinstance(code, int) else 0
