"""The demo: Hunan's 2020 provincial transfer to its 14 cities, each grant through all six stages.

Seed facts [seed 000]: 51.66 million CNY transferred to cities and counties under the finance department's
notices 湘财社指〔2020〕36号 and 37号. The split between cities, the dates, people reached and scores below
are illustrative, chosen to be plausible; they add up to the seed's total exactly.

Every run starts from a fresh ledger and Temporal database under `<data dir>/demo/`, so a second
`make demo` behaves like the first and never touches the ledger of a real local stack.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import click

from audit.check import check_ledger
from audit.history import history_rows
from audit.verify import verify_ledger
from cli.audit_commands import summary
from cli.gateway import GrantGateway
from cli.render import grants_table, history_table
from cli.rules_file import RulesInForce, load_rules
from cli.serve_commands import CONSOLE_URL
from cli.settings import Settings, read_configuration
from cli.stack import start_detached, stop_detached
from domain.commands import (
    AcknowledgeNotice,
    ApplicationDetails,
    ApproveApplication,
    CloseGrant,
    ConcludePublicity,
    GrantCommand,
    RecordDisbursement,
    RecordEvaluation,
    RecordNotice,
    StartPublicity,
    SubmitApplication,
    SubmitFinalReport,
)
from domain.decisions import DEFAULT_QUORUM, DecisionItem, DecisionKind, RecordDecision, Vote
from domain.oversight import FundRules
from domain.roles import Role
from domain.staff import AppointStaff
from domain.state import GrantState
from domain.values import Money, Points
from ledger.application import open_ledger
from ledger.checkpoints import load_public_key
from ledger.projections import current_grants
from ledger.settings import default_ledger_url
from worker import connect

PROGRAMS = ("住院护理补贴", "计生家庭健康保险", "三结合", "暖心家园", "青春健康", "金秋助学", "能力建设")


@dataclass(frozen=True)
class CityGrant:
    region: str
    city: str
    yuan: int
    score_tenths: int


CITY_GRANTS = (
    CityGrant("430100", "长沙市", 5_200_000, 962),
    CityGrant("430200", "株洲市", 3_300_000, 915),
    CityGrant("430300", "湘潭市", 2_900_000, 934),
    CityGrant("430400", "衡阳市", 4_800_000, 887),
    CityGrant("430500", "邵阳市", 5_100_000, 903),
    CityGrant("430600", "岳阳市", 4_200_000, 921),
    CityGrant("430700", "常德市", 4_300_000, 948),
    CityGrant("430800", "张家界市", 1_900_000, 856),
    CityGrant("430900", "益阳市", 3_600_000, 940),
    CityGrant("431000", "郴州市", 3_700_000, 927),
    CityGrant("431100", "永州市", 4_100_000, 898),
    CityGrant("431200", "怀化市", 3_900_000, 911),
    CityGrant("431300", "娄底市", 2_800_000, 879),
    CityGrant("433100", "湘西土家族苗族自治州", 1_860_000, 905),
)
TOTAL_YUAN = 51_660_000  # 5166 万元 [seed 000]


PARTY_GROUP = ("康代四", "李明", "张华", "赵丽", "陈刚")  # the association's 党组; the chair first
MINUTES_REF = "湘计生协党组纪要〔2020〕12号"
DECISION_REF = f"党组会:{MINUTES_REF}"
# The rules the demo's stack runs by (roles required) unless GRANTS_RULES_FILE names others.
SHIPPED_RULES = Path(__file__).parents[1] / "config" / "rules" / "hunan.toml"

# The people who act, and the staff register that lets them (the provincial ones for every region).
OFFICE = "省计生协 办公室"  # records the minutes; closes the grants (officer)
APPROVER = "省计生协 项目部"
FINANCE_DEPARTMENT = "省财政厅 社保处"  # issues the appropriation notices
EVALUATORS = "省计生协 绩效评价组"
PERSONNEL = "省计生协 人事处"  # records the appointments


def project_office(city: CityGrant) -> str:
    """The city association's project office: applies, runs publicity, reports (officer and recipient)."""
    return f"{city.city}计生协 项目办"


def finance_office(city: CityGrant) -> str:
    """The city association's finance office: acknowledges the notice and pays the tranches (recipient, finance)."""
    return f"{city.city}计生协 财务"


def appointments() -> list[AppointStaff]:
    """Everyone's roles; the key ones (approver, finance) on the 党组会's decision."""
    provincial = [(OFFICE, Role.OFFICER), (APPROVER, Role.APPROVER), (FINANCE_DEPARTMENT, Role.FINANCE)]
    provincial.append((EVALUATORS, Role.AUDITOR))
    appointed = [
        AppointStaff(person=person, role=role, granted_by=PERSONNEL, decision_ref=_authority(role))
        for person, role in provincial
    ]
    for city in CITY_GRANTS:
        for person, role in (
            (project_office(city), Role.OFFICER),
            (project_office(city), Role.RECIPIENT),
            (finance_office(city), Role.RECIPIENT),
            (finance_office(city), Role.FINANCE),
        ):
            appointed.append(
                AppointStaff(
                    person=person, role=role, granted_by=PERSONNEL, scope=city.region, decision_ref=_authority(role)
                )
            )
    return appointed


def _authority(role: Role) -> str:
    return DECISION_REF if role in FundRules().key_roles else ""


def collective_decision() -> RecordDecision:
    """The 党组会 of 20 June 2020: every city grant as a major project, its money as large-amount fund use, and
    the important appointments (approver and finance) of the people who handle them."""
    chair, *others = PARTY_GROUP
    votes = tuple((member, Vote.FOR) for member in [*others[:3], chair])  # 陈刚 absent; the chair states last
    grants = tuple(
        DecisionItem(
            kind=kind,
            grant_no=grant_no(index),
            amount=Money(city.yuan * 100),
            description=f"{city.city} 2020年专项资金{'项目安排' if kind is DecisionKind.MAJOR_PROJECT else '拨付'}",
            votes=votes,
        )
        for index, city in enumerate(CITY_GRANTS)
        for kind in (DecisionKind.MAJOR_PROJECT, DecisionKind.LARGE_FUND_USE)
    )
    appointed = tuple(
        DecisionItem(
            kind=DecisionKind.APPOINTMENT,
            grant_no="",
            amount=None,
            description=f"任命{staff.person}为{staff.role}",
            votes=votes,
            appointee=staff.person,
            role=staff.role.value,
        )
        for staff in appointments()
        if staff.decision_ref
    )
    items = grants + appointed
    return RecordDecision(
        body="党组会",
        held_on=date(2020, 6, 20),
        form="meeting",
        minutes_ref=MINUTES_REF,
        chair=chair,
        members=PARTY_GROUP,
        present=PARTY_GROUP[:4],
        recused=(),
        items=items,
        actor="省计生协 办公室",
    )


def grant_no(index: int) -> str:
    return f"HN-2020-ZX-{index + 1:04d}"


def lifecycle(index: int, city: CityGrant) -> list[GrantCommand]:
    """The commands that take one city's grant from application to closing, by the people who act."""
    number, amount = grant_no(index), Money(city.yuan * 100)
    first_tranche = Money(amount.fen * 6 // 10)
    applicant, recipient = project_office(city), finance_office(city)
    document_no = "湘财社指〔2020〕36号" if index < 7 else "湘财社指〔2020〕37号"
    details = ApplicationDetails(
        program=PROGRAMS[index % len(PROGRAMS)],
        recipient=f"{city.city}计划生育协会",
        region=city.region,
        fiscal_year=2020,
        title=f"2020年{city.city}计生协专项资金项目",
        requested=amount,
        period_start=date(2020, 1, 1),
        period_end=date(2020, 12, 31),
    )
    officer, reporter = {"actor": applicant, "role": Role.OFFICER}, {"actor": applicant, "role": Role.RECIPIENT}
    payer = {"actor": recipient, "role": Role.FINANCE}
    return [
        SubmitApplication(grant_no=number, **officer, details=details),
        ApproveApplication(
            grant_no=number,
            actor=APPROVER,
            role=Role.APPROVER,
            approved=amount,
            opinion="同意",
            decision_ref=DECISION_REF,
        ),
        RecordNotice(
            grant_no=number,
            actor=FINANCE_DEPARTMENT,
            role=Role.FINANCE,
            document_no=document_no,
            issuer="湖南省财政厅",
            issued_on=date(2020, 6, 10),
            amount=amount,
            budget_subject="计划生育事务",
        ),
        AcknowledgeNotice(grant_no=number, actor=recipient, role=Role.RECIPIENT),
        RecordDisbursement(
            grant_no=number,
            **payer,
            amount=first_tranche,
            paid_on=date(2020, 7, 15),
            payee=details.recipient,
            decision_ref=DECISION_REF,
        ),
        RecordDisbursement(
            grant_no=number,
            **payer,
            amount=amount - first_tranche,
            paid_on=date(2020, 9, 30),
            payee=details.recipient,
            decision_ref=DECISION_REF,
        ),
        StartPublicity(
            grant_no=number,
            **officer,
            starts_on=date(2020, 10, 9),
            ends_on=date(2020, 10, 15),
            place="项目村公示栏",
        ),
        ConcludePublicity(grant_no=number, **officer, concluded_on=date(2020, 10, 16)),
        SubmitFinalReport(
            grant_no=number,
            **reporter,
            people_reached=city.yuan // 3_000,
            money_used=Money(amount.fen * 986 // 1000),
            satisfaction=Points(980),
            outcomes="按项目文本完成",
        ),
        RecordEvaluation(grant_no=number, actor=EVALUATORS, role=Role.AUDITOR, score=Points(city.score_tenths)),
        CloseGrant(grant_no=number, actor=OFFICE, role=Role.OFFICER),
    ]


async def play(gateway: GrantGateway) -> None:
    """Run every city's grant concurrently, each step after the one before, printing progress."""
    done = 0

    async def one(index: int, city: CityGrant) -> None:
        nonlocal done
        state: GrantState | None = None
        for command in lifecycle(index, city):
            if isinstance(command, SubmitApplication):
                state = await gateway.submit(command)
            else:
                state = await gateway.record(command)
        done += 1
        stage = state.stage if state else "?"
        click.echo(f"  [{done:2d}/{len(CITY_GRANTS)}] {grant_no(index)} {city.city}: {stage}")

    await asyncio.gather(*(one(index, city) for index, city in enumerate(CITY_GRANTS)))


def run_demo(settings: Settings, *, keep: bool) -> None:
    demo_dir = settings.data_dir / "demo"
    settings = replace(
        settings,
        data_dir=demo_dir,
        ledger_url=default_ledger_url(demo_dir),
        signing_key_file=demo_dir / "checkpoint-signing-key.pem",
        master_key_file=demo_dir / "master.key",
    )
    rules_file = settings.rules_file or SHIPPED_RULES
    settings = replace(settings, rules_file=rules_file)
    stopped = stop_detached(settings)
    if stopped:
        click.echo(f"stopped the local stack that was running (pid {stopped.pid}, data in {stopped.data_dir})")
    shutil.rmtree(demo_dir, ignore_errors=True)
    click.echo(f"starting a fresh local stack in {demo_dir}/ (Temporal dev server + worker) ...")
    start_detached(settings)
    try:
        click.echo(
            f"running {len(CITY_GRANTS)} city grants of the 2020 transfer ({TOTAL_YUAN:,} yuan) through six stages:"
        )
        rules = load_rules(rules_file)
        with open_ledger(settings.ledger_url, fund_rules=rules.fund_rules) as ledger:
            recorded = ledger.record_decision(collective_decision())
            staff = appointments()
            for appointment in staff:
                ledger.appoint(appointment)
        click.echo(
            f"  collective decision {MINUTES_REF} (党组会, {recorded.held_on}) recorded: {len(recorded.items)} items"
        )
        required = "every step checked against it" if rules.fund_rules.roles_required else "roles not required"
        click.echo(
            f"  staff register: {len(staff)} appointments of {len({a.person for a in staff})} people, "
            f"{sum(bool(a.decision_ref) for a in staff)} key ones on that decision ({required}; {rules_file})"
        )
        asyncio.run(_play_on(settings, rules))
        _print_results(settings)
    finally:
        if keep:
            pinned = {setting.variable.name for setting in read_configuration().settings if setting.source != "default"}
            click.echo(kept_stack_hint(settings, pinned))
        else:
            stop_detached(settings)
            click.echo("local stack stopped (run `make demo KEEP=1` to keep it up and browse the Web UI)")


def kept_stack_hint(demo: Settings, pinned: set[str]) -> str:
    """How to point `grants status`, `history` and the rest at the stack `make demo KEEP=1` leaves running.

    The demo keeps its own ledger (under `<data dir>/demo/`, never the default one), so the other commands read
    it only once told: the data directory, plus whatever the environment or the configuration file (`pinned`)
    sets apart from it, and the rules the demo ran under.
    """
    exports = {"GRANTS_DATA_DIR": _shown(demo.data_dir)}
    apart = {
        "GRANTS_LEDGER_URL": demo.ledger_url,
        "GRANTS_SIGNING_KEY_FILE": _shown(demo.signing_key_file),
        "GRANTS_MASTER_KEY_FILE": _shown(demo.master_key_file),
    }
    exports |= {name: value for name, value in apart.items() if name in pinned}
    if demo.rules_file is not None:  # always set by run_demo; a Settings in general may have none
        exports["GRANTS_RULES_FILE"] = _shown(demo.rules_file)
    line = " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items())
    return "\n".join(
        [
            f"the stack is still running, on the demo's own ledger in {_shown(demo.data_dir)}/. For `grants status`,",
            "`grants history` and the other commands to use it, run this in your shell first:",
            f"  export {line}",
            f"e.g. `grants history {grant_no(0)}`; stop the stack with `make down` (or `grants down`)",
        ]
    )


def _shown(path: Path) -> str:
    """`path` relative to the current directory when it lies under it (as the user typed the data directory)."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


async def _play_on(settings: Settings, rules: RulesInForce) -> None:
    client = await connect(settings)
    gateway = GrantGateway(
        client,
        settings.task_queue,
        settings.ledger_url,
        settings.command_timeout_seconds,
        policy=rules.deadlines,
        fund_rules=rules.fund_rules,
    )
    await play(gateway)


def _print_results(settings: Settings) -> None:
    summaries = current_grants(settings.ledger_url, DEFAULT_QUORUM)
    with open_ledger(settings.ledger_url) as ledger:
        example = grant_no(0)
        rows = history_rows(ledger.history(example))
        verified = verify_ledger(ledger, load_public_key(settings.signing_key_file))
        findings = check_ledger(ledger)
    total = Money(sum(summary.disbursed_fen for summary in summaries))
    click.echo("")
    click.echo(grants_table(summaries))
    closed = sum(summary.stage == "closed" for summary in summaries)
    click.echo(f"{len(summaries)} grants, {closed} closed; disbursed in all: {total}")
    click.echo("")
    click.echo(f"ledger history of {example}:")
    click.echo(history_table(rows))
    click.echo("")
    click.echo(f"integrity (grants audit verify): {summary(verified, None, None)}")
    click.echo(f"compliance (grants audit check): {len(findings)} finding(s) on replay of rules R1-R9")
    click.echo(f'Temporal Web UI: {settings.ui_url}?query=GrantStage%3D%22closed%22  (filter: GrantStage = "closed")')
    click.echo(
        f"officers' and auditors' console: `grants accounts add NAME --role officer`, then `grants serve` "
        f"(pages at {CONSOLE_URL}, the API at {CONSOLE_URL}docs)"
    )
