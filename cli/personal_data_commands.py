"""Beneficiary lists (上报名单) and erasure: personal data goes straight to the ledger, sealed.

These commands do not pass through Temporal: a workflow's history keeps its inputs in the clear for as
long as Temporal retains it, and personal data must only ever be stored sealed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import click

from cli.errors import fail, refusals_fail
from cli.params import DATE, YUAN
from cli.render import table
from cli.rules_file import open_ledger_under_rules
from cli.settings import Settings
from domain.commands import check_text
from domain.errors import InvalidInputError
from domain.personal import (
    ONE_CARD,
    Beneficiary,
    PayBeneficiary,
    PersonalData,
    RegisterBeneficiaries,
    mask_id_number,
)
from domain.values import Money
from ledger.application import open_ledger
from ledger.personal_data import PersonalDataVault, load_master_key

COLUMNS = ("name", "id_number", "card_account", "category", "township", "amount")


@dataclass(frozen=True)
class ListRow:
    line: int
    values: dict[str, str]


@click.group()
def beneficiaries() -> None:
    """Registered beneficiary lists, with personal data sealed per person."""


@beneficiaries.command()
@click.argument("grant_no")
@click.option(
    "--file",
    "list_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"CSV (UTF-8) with a header row: {','.join(COLUMNS)} (amount in yuan).",
)
@click.option("--pay-by", type=DATE, help="The list's deadline for paying the people on it (R7).")
@click.pass_obj
def register(settings: Settings, grant_no: str, list_file: Path, pay_by: date | None) -> None:
    """Register the people of a CSV file on the grant's list; any bad row refuses the whole file."""
    try:
        text = list_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        fail(
            f"grant {grant_no}: {list_file}: not UTF-8 text (byte {error.start}: {error.reason}). "
            "Fix: save it as CSV UTF-8; nothing was registered"
        )
    with refusals_fail():
        master_key = load_master_key(settings.master_key_file)
    with (
        refusals_fail(),
        open_ledger_under_rules(settings, master_key) as ledger,
    ):
        people = beneficiaries_from_csv(grant_no, str(list_file), text, ledger.vault)
        command = RegisterBeneficiaries(grant_no=grant_no, actor=settings.actor, beneficiaries=people, pay_by=pay_by)
        size = ledger.register_beneficiaries(command)
    click.echo(f"grant {grant_no}: {len(people)} people registered, {size} on the list; personal data sealed")


@beneficiaries.command("list")
@click.argument("grant_no")
@click.pass_obj
def list_beneficiaries(settings: Settings, grant_no: str) -> None:
    """The grant's list as it may be shown: names, masked ID numbers, townships and amounts (no accounts)."""
    with refusals_fail():
        master_key = load_master_key(settings.master_key_file)
    with refusals_fail(), open_ledger(settings.ledger_url, master_key=master_key) as ledger:
        ledger.state(grant_no)
        people = ledger.beneficiaries(grant_no)
    rows = [
        [
            str(person.person_id),
            person.personal.name if isinstance(person.personal, PersonalData) else f"({person.personal.reason})",
            mask_id_number(person.personal.id_number) if isinstance(person.personal, PersonalData) else "-",
            person.township,
            person.amount.yuan(),
        ]
        for person in people
    ]
    click.echo(table(["person", "name", "ID number", "township", "amount"], rows, right=[4]))


@beneficiaries.command()
@click.argument("grant_no")
@click.option("--person", "person_id", required=True, type=click.UUID, help="The person's id (`beneficiaries list`).")
@click.option("--amount", required=True, type=YUAN)
@click.option("--paid-on", required=True, type=DATE)
@click.option("--channel", default=ONE_CARD, show_default=True, help="How it was paid.")
@click.option("--card", "card_account", required=True, help="The account paid into (checked, never stored).")
@click.pass_obj
def pay(
    settings: Settings, grant_no: str, person_id: UUID, amount: Money, paid_on: date, channel: str, card_account: str
) -> None:
    """Record money paid to one person on the list (R7: the list, its standard, its deadline, their own card)."""
    with refusals_fail():
        master_key = load_master_key(settings.master_key_file)
        command = PayBeneficiary(
            grant_no=grant_no,
            actor=settings.actor,
            person_id=person_id,
            amount=amount,
            paid_on=paid_on,
            channel=channel,
            card_account=card_account,
        )
    with (
        refusals_fail(),
        open_ledger_under_rules(settings, master_key) as ledger,
    ):
        ledger.pay_beneficiary(command)
    click.echo(f"grant {grant_no}: {amount.yuan()} yuan paid to person {person_id} through {channel}")


@click.command("erase-person")
@click.argument("person_id", type=click.UUID)
@click.option("--reason", required=True, help="Why (recorded with the erasure).")
@click.pass_obj
def erase_person(settings: Settings, person_id: UUID, reason: str) -> None:
    """Destroy one person's key: their personal data becomes unreadable everywhere (recorded as an event)."""
    with refusals_fail():
        master_key = load_master_key(settings.master_key_file)
    with (
        refusals_fail(),
        open_ledger_under_rules(settings, master_key) as ledger,
    ):
        ledger.erase_person(person_id, reason, settings.actor, timedelta(days=settings.retention_days))
    click.echo(f"person {person_id}: personal data erased (their key is destroyed; the ledger still verifies)")


def beneficiaries_from_csv(grant_no: str, source: str, text: str, vault: PersonalDataVault) -> tuple[Beneficiary, ...]:
    """Every row of a list's CSV as a beneficiary, or one error listing every bad line (and nothing registered).

    Shared by `grants beneficiaries register` and the console's upload.
    """
    try:
        header, *rows = _csv_rows(text) or [ListRow(1, {})]
    except csv.Error as error:
        msg = f"grant {grant_no}: {source}: unreadable CSV ({error}). Fix: save it as CSV; nothing was registered"
        raise InvalidInputError(msg) from None
    missing = [column for column in COLUMNS if column not in header.values.values()]
    if missing:
        msg = (
            f"grant {grant_no}: {source}: missing column(s) {', '.join(missing)}; the header must be "
            f"{','.join(COLUMNS)}. Fix: correct the header; nothing was registered"
        )
        raise InvalidInputError(msg)
    people, problems = [], []
    lines: dict[UUID, int] = {}  # the line each person was first listed on
    for row in rows:
        values = {column: row.values.get(index, "").strip() for index, column in header.values.items()}
        try:
            id_number = values["id_number"].upper()
            person_id = vault.person_id(id_number)
            if person_id in lines:
                problems.append(f"line {row.line}: the same person as line {lines[person_id]}")
                continue
            lines[person_id] = row.line
            check_text("township", values["township"])
            personal = PersonalData(
                person_id=person_id,
                name=values["name"],
                id_number=id_number,
                card_account=values["card_account"],
                category=values["category"],
            )
            amount = Money.parse_yuan(values["amount"])
            if not amount.is_positive:
                problems.append(f"line {row.line}: the amount must be more than zero, got {amount}")
                continue
            people.append(
                Beneficiary(person_id=person_id, personal=personal, township=values["township"], amount=amount)
            )
        except InvalidInputError as error:
            problems.append(f"line {row.line}: {error}")
    if problems:
        msg = f"grant {grant_no}: {source}: {len(problems)} bad row(s), nothing registered: {'; '.join(problems)}"
        raise InvalidInputError(msg)
    if not people:
        msg = f"grant {grant_no}: {source} has no rows. Fix: add one row per person below the header"
        raise InvalidInputError(msg)
    return tuple(people)


def _csv_rows(text: str) -> list[ListRow]:
    """The file's non-blank rows (the header first), each with the line it starts on and its values by position.

    The line is counted by the reader (`line_num`), not by rows: a blank line, or a quoted value running over
    two lines, would otherwise shift every line number after it.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[ListRow] = []
    while True:
        starts_on = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return rows
        if values:  # a blank line is no row
            rows.append(ListRow(starts_on, {str(index): value for index, value in enumerate(values)}))
