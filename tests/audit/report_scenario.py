"""A fixed ledger for the evaluation report's golden tests: three 2020 grants in two regions, one return, and a 2019
grant that the 2020 report must leave out. Every figure the tests expect is worked out by hand below.

A · 430100 暖心家园: 90,000.00 appropriated (notice 2020-06-10), paid 45,000 on 07-01 and 45,000 on 08-03, 10,000
    returned on 09-01; report (1,200 people, 98.6 % satisfied), score 93.5 (优), closed.
B · 430100 住院护理补贴: 60,000.00 appropriated (notice 06-15), paid 30,000 on 07-15; three people on its list, two
    paid; its payment deadline recorded as missed (a finding).
C · 430200 暖心家园: 40,000.00 appropriated (notice 07-01), paid in full on 07-11; its final report deadline
    recorded as missed (a finding), then the report (300 people, 90.0 %), score 78.0 (中).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.clock import SHANGHAI
from domain.commands import GrantCommand, RecordMissedDeadline, RecordNotice, SubmitFinalReport
from domain.deadlines import DeadlineKind
from domain.personal import ONE_CARD, Beneficiary, PayBeneficiary, PersonalData, RegisterBeneficiaries
from domain.values import Money, Points
from ledger.application import GrantLedger
from tests import builders
from tests.ledger.personal_data_contract import PEOPLE

YEAR = 2020
A, B, C, OLD = "HN-2020-ZX-0001", "HN-2020-ZX-0002", "HN-2020-ZX-0003", "HN-2019-ZX-0009"
CHANGSHA, ZHUZHOU = "430100", "430200"


def build(ledger: GrantLedger) -> None:
    """Record the scenario (the ledger must have been opened with a master key: B has a beneficiary list)."""
    for command in _grant_a() + _grant_b() + _grant_c():
        ledger.execute(command, at=builders.AFTER_PERIOD)
    ledger.register_beneficiaries(_list_of_b(ledger))
    for _, id_number, card, *_ in PEOPLE[:2]:
        ledger.pay_beneficiary(
            PayBeneficiary(
                grant_no=B,
                actor="cashier",
                person_id=ledger.vault.person_id(id_number),
                amount=Money(1_200_00),
                paid_on=date(2020, 9, 1),
                channel=ONE_CARD,
                card_account=card,
            )
        )
    ledger.execute(builders.submit(OLD, fiscal_year=2019, region=CHANGSHA))


def _notice(grant_no: str, yuan: int, issued_on: date) -> RecordNotice:
    notice = builders.notice(Money(yuan * 100), grant_no=grant_no)
    return RecordNotice(
        grant_no=grant_no,
        actor=notice.actor,
        command_id=notice.command_id,
        document_no=notice.document_no,
        issuer=notice.issuer,
        issued_on=issued_on,
        amount=notice.amount,
    )


def _report(grant_no: str, people: int, used_yuan: int, satisfaction: str) -> SubmitFinalReport:
    return SubmitFinalReport(
        grant_no=grant_no,
        actor="recipient",
        command_id=f"report/{grant_no}",
        people_reached=people,
        money_used=Money(used_yuan * 100),
        satisfaction=Points.parse(satisfaction),
    )


def _missed(grant_no: str, kind: DeadlineKind, due: datetime) -> RecordMissedDeadline:
    return RecordMissedDeadline(
        grant_no=grant_no,
        actor="GrantLifecycle (deadline timer)",
        command_id=f"missed/{grant_no}",
        kind=kind,
        due_at=due,
    )


def _grant_a() -> list[GrantCommand]:
    return [
        builders.submit(A, requested=Money(90_000_00)),
        builders.approve(Money(90_000_00), grant_no=A),
        _notice(A, 90_000, date(2020, 6, 10)),
        builders.acknowledge(grant_no=A),
        builders.disburse(Money(45_000_00), date(2020, 7, 1), grant_no=A),
        builders.disburse(Money(45_000_00), date(2020, 8, 3), grant_no=A),
        builders.funds_return(Money(10_000_00), date(2020, 9, 1), grant_no=A),
        builders.start_publicity(grant_no=A),
        builders.conclude_publicity(grant_no=A),
        _report(A, 1200, 80_000, "98.6"),
        builders.evaluate("93.5", grant_no=A),
        builders.close(grant_no=A),
    ]


def _grant_b() -> list[GrantCommand]:
    return [
        builders.submit(B, requested=Money(60_000_00), program="住院护理补贴", title="2020年住院护理补贴"),
        builders.approve(Money(60_000_00), grant_no=B),
        _notice(B, 60_000, date(2020, 6, 15)),
        builders.acknowledge(grant_no=B),
        builders.disburse(Money(30_000_00), date(2020, 7, 15), grant_no=B),
        _missed(B, DeadlineKind.PAYMENT, datetime(2020, 7, 31, 16, 0, tzinfo=UTC)),
    ]


def _grant_c() -> list[GrantCommand]:
    return [
        builders.submit(C, requested=Money(50_000_00), region=ZHUZHOU, recipient="株洲市计划生育协会"),
        builders.approve(Money(50_000_00), grant_no=C),
        _notice(C, 40_000, date(2020, 7, 1)),
        builders.acknowledge(grant_no=C),
        builders.disburse(Money(40_000_00), date(2020, 7, 11), grant_no=C),
        builders.start_publicity(grant_no=C),
        builders.conclude_publicity(grant_no=C),
        _missed(C, DeadlineKind.FINAL_REPORT, datetime(2021, 1, 30, 16, 0, tzinfo=UTC)),
        _report(C, 300, 40_000, "90.0"),
        builders.evaluate("78.0", grant_no=C),
    ]


def _list_of_b(ledger: GrantLedger) -> RegisterBeneficiaries:
    people = tuple(
        Beneficiary(
            person_id=ledger.vault.person_id(id_number),
            personal=PersonalData(
                person_id=ledger.vault.person_id(id_number),
                name=name,
                id_number=id_number,
                card_account=card,
                category=category,
            ),
            township=township,
            amount=Money(1_200_00),
        )
        for name, id_number, card, category, township in PEOPLE
    )
    return RegisterBeneficiaries(grant_no=B, actor="officer", beneficiaries=people, pay_by=date(2020, 9, 30))


GENERATED_AT = datetime(2021, 3, 1, 9, 0, tzinfo=SHANGHAI)
