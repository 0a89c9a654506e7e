"""`grants staff appoint|revoke|list`: the staff register, whose roles the ledger checks every step's actor against.

Appointing to a key role (approver, finance, or as the rules file's `[roles] key` says) is an important
appointment (重要干部任免): it names the collective decision it rests on (`--decision BODY:MINUTES`, recorded
first with `grants decision record`). Whoever runs the command (`--actor`) is recorded as having made the change.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import NoReturn

import click

from cli.errors import fail, refusals_fail
from cli.params import DATE
from cli.render import table
from cli.rules_file import open_ledger_under_rules
from cli.settings import Settings
from domain.clock import SHANGHAI
from domain.errors import InvalidInputError
from domain.roles import Role
from domain.staff import ALL_REGIONS, AppointStaff, RevokeRole
from ledger.application import open_ledger

ROLE = click.Choice([role.value for role in Role])
SCOPE_HELP = "'all' (default), or the GB/T 2260 code of the region (a province or city covers what lies within it)."
FROM_HELP = "The date it takes effect (Asia/Shanghai; default: now). Never before today."


@click.group()
def staff() -> None:
    """The staff register: who holds which role (officer, approver, finance, recipient, auditor, operator)."""


@staff.command()
@click.argument("person")
@click.option("--role", "role_name", required=True, type=ROLE)
@click.option("--scope", default=ALL_REGIONS, show_default=True, help=SCOPE_HELP)
@click.option("--decision", "decision_ref", default="", help="BODY:MINUTES of the decision a key role rests on.")
@click.option("--effective-from", type=DATE, help=FROM_HELP)
@click.pass_obj
def appoint(
    settings: Settings, person: str, role_name: str, scope: str, decision_ref: str, effective_from: date | None
) -> None:
    """Appoint PERSON to a role (a key role only on a collective decision taken before)."""
    try:
        command = AppointStaff(
            person=person,
            role=Role(role_name),
            granted_by=settings.actor,
            scope=scope,
            decision_ref=decision_ref,
            effective_from=_start_of(effective_from),
        )
    except InvalidInputError as error:
        _invalid(person, error)
    with (
        refusals_fail(),  # a bad rules file too
        open_ledger_under_rules(settings) as ledger,
    ):
        appointed = ledger.appoint(command)
    what = f"{person} as {role_name} for {_scope(scope)}"
    if not appointed:
        click.echo(f"{what}: already held, nothing recorded")
        return
    authority = f" on decision {decision_ref}" if decision_ref else ""
    click.echo(f"appointed {what}{authority}, recorded by {settings.actor}")


@staff.command()
@click.argument("person")
@click.option("--role", "role_name", required=True, type=ROLE)
@click.option("--scope", default=ALL_REGIONS, show_default=True, help=SCOPE_HELP)
@click.option("--reason", required=True, help="Why (调离, 任期届满, ...).")
@click.option("--effective-from", type=DATE, help=FROM_HELP)
@click.pass_obj
def revoke(
    settings: Settings, person: str, role_name: str, scope: str, reason: str, effective_from: date | None
) -> None:
    """Revoke PERSON's role: from then on the ledger refuses the steps that needed it."""
    try:
        command = RevokeRole(
            person=person,
            role=Role(role_name),
            revoked_by=settings.actor,
            reason=reason,
            scope=scope,
            effective_from=_start_of(effective_from),
        )
    except InvalidInputError as error:
        _invalid(person, error)
    with (
        refusals_fail(),  # a bad rules file too
        open_ledger_under_rules(settings) as ledger,
    ):
        ledger.revoke_role(command)
    click.echo(f"revoked {person}'s role {role_name} for {_scope(scope)}, recorded by {settings.actor}")


@staff.command("list")
@click.pass_obj
def list_staff(settings: Settings) -> None:
    """Every appointment in the register, revoked ones with the time they ended (Asia/Shanghai)."""
    with refusals_fail(), open_ledger(settings.ledger_url) as ledger:
        members = ledger.staff()
    rows = [
        [
            member.person,
            appointment.role.value,
            appointment.scope,
            _local(appointment.effective_from),
            _local(appointment.revoked_from) if appointment.revoked_from else "",
            appointment.granted_by,
            appointment.decision_ref,
        ]
        for member in members
        for appointment in member.appointments
    ]
    click.echo(table(["person", "role", "scope", "from", "until", "appointed by", "decision"], rows))


def _invalid(person: str, error: InvalidInputError) -> NoReturn:
    fail(f"person {person}: invalid input: {error}. Fix: correct the value and run the command again")


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), SHANGHAI)


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _scope(scope: str) -> str:
    return "all regions" if scope == ALL_REGIONS else f"region {scope}"
