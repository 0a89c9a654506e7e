"""The staff register for tests: the actors of tests/builders.py appointed to the roles their steps need."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.clock import SHANGHAI
from domain.decisions import DecisionKind, RecordDecision
from domain.personal import Beneficiary, PersonalData
from domain.roles import Role
from domain.staff import AppointStaff
from domain.values import Money
from ledger.application import GrantLedger
from tests.builders import decision_item, minutes

MINUTES_REF = "人事纪要〔2020〕3号"
APPOINTING = f"党组会:{MINUTES_REF}"
HR = "人事处"  # who records the appointments
APPOINTED_AT = datetime(2020, 7, 1, 9, 0, tzinfo=SHANGHAI)  # after the decision of 2020-06-20

# The builders' actors and the roles their steps need (`disburse()` is by "recipient", who also holds finance).
BUILDER_STAFF: tuple[tuple[str, Role], ...] = (
    ("applicant", Role.OFFICER),
    ("officer", Role.OFFICER),
    ("approver", Role.APPROVER),
    ("finance", Role.FINANCE),
    ("recipient", Role.RECIPIENT),
    ("recipient", Role.FINANCE),
    ("auditor", Role.AUDITOR),
)
KEY = (Role.APPROVER, Role.FINANCE)


def appointment_minutes(*appointments: tuple[str, Role], **changes: object) -> RecordDecision:
    """A valid 党组会 decision (held 2020-06-20) with one appointment item per (person, role)."""
    items = tuple(
        decision_item(kind=DecisionKind.APPOINTMENT, grant_no="", amount=None, appointee=person, role=role.value)
        for person, role in appointments
    )
    return minutes(**{"minutes_ref": MINUTES_REF, "items": items, **changes})


def appoint_builder_staff(ledger: GrantLedger, at: datetime) -> None:
    """Record the decision for the key appointments, then appoint every builder actor, effective from `at`."""
    ledger.record_decision(appointment_minutes(*[(p, r) for p, r in BUILDER_STAFF if r in KEY]))
    for person, role in BUILDER_STAFF:
        decision_ref = APPOINTING if role in KEY else ""
        ledger.appoint(AppointStaff(person=person, role=role, granted_by=HR, decision_ref=decision_ref), at=at)


def beneficiary() -> Beneficiary:
    """One person for a beneficiary list (a valid resident ID; never a real person)."""
    personal = PersonalData(
        person_id=UUID(int=1), name="张三", id_number="430102198001011233", card_account="6217", category="计生特殊家庭"
    )
    return Beneficiary(person_id=UUID(int=1), personal=personal, township="莲花镇", amount=Money(1200_00))
