"""`grants decision record`: the minutes of a collective decision (三重一大), from a TOML file."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import click

from cli.errors import fail, refusals_fail
from cli.rules_file import open_ledger_under_rules
from cli.settings import Settings
from domain.decisions import DecisionItem, DecisionKind, RecordDecision, validate_votes
from domain.errors import InvalidInputError
from domain.values import Money

EXAMPLE = """\
body = "党组会"                       # 党组会, 常务理事会, 会长办公会, 理事会
held_on = 2020-06-20
form = "meeting"                     # a meeting; circulation or countersigning is not a collective decision
minutes_ref = "湘计生协党组纪要〔2020〕12号"
chair = "王强"
members = ["王强", "李明", "张华", "赵丽", "陈刚"]
present = ["王强", "李明", "张华", "赵丽"]
absent = ["陈刚"]                     # optional; if given, exactly the members not present
recused = []

[[items]]
kind = "large_fund_use"              # large_fund_use, major_project, officer_change, scope_change, appointment
grant_no = "HN-2020-ZX-0001"
amount = "5200000.00"                # yuan, the most it authorises: required for large_fund_use, major_project
description = "长沙市2020年专项资金拨付"
votes = [["李明", "for"], ["张华", "for"], ["赵丽", "for"], ["王强", "for"]]   # the chair last

[[items]]
kind = "appointment"                 # 重要干部任免: a key role (approver, finance) for one person
appointee = "刘洋"
role = "finance"
description = "任命刘洋为省计生协财务"
votes = [["李明", "for"], ["张华", "for"], ["赵丽", "for"], ["王强", "for"]]
"""


@click.group()
def decision() -> None:
    """Collective decisions (三重一大) that large payments and major projects rest on."""


@decision.command()
@click.option(
    "--file",
    "minutes_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The minutes as TOML (see `grants decision example`).",
)
@click.pass_obj
def record(settings: Settings, minutes_file: Path) -> None:
    """Record a decision; refused (R5) unless the minutes show a valid meeting."""
    minutes = _read(minutes_file, settings.actor)
    with (
        refusals_fail(),  # a bad rules file too
        open_ledger_under_rules(settings) as ledger,
    ):
        ledger.record_decision(minutes)
    items = "; ".join(
        f"{item.kind.value} for {item.grant_no or f'{item.appointee} as {item.role}'}"
        + (f" up to {item.amount.yuan()} yuan" if item.amount else "")
        for item in minutes.items
    )
    click.echo(f"decision {minutes.minutes_ref} of {minutes.body} ({minutes.held_on}) recorded: {items}")


@decision.command()
def example() -> None:
    """Print an example minutes file."""
    click.echo(EXAMPLE, nl=False)


def _read(minutes_file: Path, actor: str) -> RecordDecision:
    try:
        raw = tomllib.loads(minutes_file.read_text(encoding="utf-8"))
        return RecordDecision(
            body=str(raw["body"]),
            held_on=_date(raw["held_on"]),
            form=str(raw.get("form", "meeting")),
            minutes_ref=str(raw["minutes_ref"]),
            chair=str(raw["chair"]),
            members=tuple(map(str, raw["members"])),
            present=tuple(map(str, raw["present"])),
            recused=tuple(map(str, raw.get("recused", []))),
            items=tuple(_item(item) for item in raw["items"]),
            actor=actor,
            absent=tuple(map(str, raw["absent"])) if "absent" in raw else None,
        )
    except tomllib.TOMLDecodeError as error:
        fail(f"{minutes_file}: not valid TOML ({error}). Fix: compare with `grants decision example`")
    except KeyError as error:
        fail(f"{minutes_file}: {error.args[0]!r} is missing. Fix: compare with `grants decision example`")
    except (InvalidInputError, ValueError, TypeError) as error:
        fail(f"{minutes_file}: {error}. Fix: compare with `grants decision example`")


def _item(raw: dict[str, Any]) -> DecisionItem:
    amount = raw.get("amount")
    return DecisionItem(
        kind=DecisionKind(raw["kind"]),
        grant_no=str(raw.get("grant_no", "")),  # an appointment names `appointee` and `role` instead
        amount=None if amount is None else Money.parse_yuan(str(amount)),
        description=str(raw.get("description", "")),
        votes=validate_votes(raw["votes"]),
        appointee=str(raw.get("appointee", "")),
        role=str(raw.get("role", "")),
    )


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
