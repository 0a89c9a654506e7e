"""The staff register's contract: appointments as events, every step's actor checked when required (every backend)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.commands import RecordMissedDeadline
from domain.deadlines import DeadlineKind
from domain.errors import GrantError, GrantRuleViolation
from domain.oversight import FundRules
from domain.personal import PayBeneficiary, RegisterBeneficiaries
from domain.roles import Role
from domain.staff import AppointStaff, RevokeRole, StaffRuleViolation
from domain.stages import Stage
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from tests.builders import AFTER_PERIOD, acknowledge, approve, disburse, evaluate, lifecycle, notice, submit
from tests.staff_support import APPOINTED_AT, APPOINTING, HR, appoint_builder_staff, appointment_minutes, beneficiary

REQUIRED = FundRules(roles_required=True)


class StaffRegisterContract:
    """What every backend must do with the staff register. Subclasses supply `url`: a fresh, empty ledger per test."""

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def strict(self, url: str) -> Iterator[GrantLedger]:
        """A ledger whose rules require every step's actor to hold the role, with the builders' actors appointed."""
        with open_ledger(url, fund_rules=REQUIRED) as ledger:
            appoint_builder_staff(ledger, APPOINTED_AT)
            yield ledger

    def test_an_approver_appointed_without_a_decision_is_refused_and_nothing_is_written(self, url: str) -> None:
        with open_ledger(url) as ledger:
            with pytest.raises(StaffRuleViolation, match="approver is a key role, and no collective decision is named"):
                ledger.appoint(AppointStaff(person="刘洋", role=Role.APPROVER, granted_by=HR), at=APPOINTED_AT)
            assert ledger.count_events() == 0

    def test_a_key_appointment_names_a_recorded_decision(self, url: str) -> None:
        with open_ledger(url) as ledger:
            command = AppointStaff(person="刘洋", role=Role.APPROVER, granted_by=HR, decision_ref=APPOINTING)
            with pytest.raises(GrantError, match="no minutes 人事纪要〔2020〕3号 of 党组会 are recorded"):
                ledger.appoint(command, at=APPOINTED_AT)
            ledger.record_decision(appointment_minutes(("刘洋", Role.APPROVER)))
            assert ledger.appoint(command, at=APPOINTED_AT)
            assert not ledger.appoint(command, at=APPOINTED_AT)  # again: already held, nothing written

    def test_the_register_reads_back_as_recorded(self, url: str) -> None:
        with open_ledger(url) as ledger:
            appoint_builder_staff(ledger, APPOINTED_AT)
        with open_ledger(url) as reopened:
            finance = reopened.roles_of("finance", APPOINTED_AT)
            people = [member.person for member in reopened.staff()]
        assert [(a.role, a.scope, a.effective_from, a.decision_ref) for a in finance] == [
            (Role.FINANCE, "all", APPOINTED_AT, APPOINTING)
        ]
        assert people == ["applicant", "officer", "approver", "finance", "recipient", "auditor"]

    def test_without_the_setting_any_actor_records_a_step(self, url: str) -> None:
        with open_ledger(url) as ledger:
            ledger.execute(submit(), at=APPOINTED_AT)
            assert ledger.execute(approve(), at=APPOINTED_AT).stage is Stage.APPROPRIATION

    def test_a_lifecycle_by_appointed_staff_is_recorded_when_roles_are_required(self, strict: GrantLedger) -> None:
        strict.execute(submit(), at=APPOINTED_AT)
        for command in lifecycle():
            state = strict.execute(command, at=AFTER_PERIOD)
        assert state.stage is Stage.CLOSED

    def test_a_person_without_the_finance_role_cannot_disburse_when_roles_are_required(
        self, strict: GrantLedger
    ) -> None:
        strict.execute(submit(), at=APPOINTED_AT)
        for command in (approve(), notice(), acknowledge()):
            strict.execute(command, at=APPOINTED_AT)
        before = strict.count_events()
        with pytest.raises(
            GrantRuleViolation, match="officer may not record disbursement: that needs the role finance"
        ):
            strict.execute(dataclasses.replace(disburse(), actor="officer"), at=APPOINTED_AT)
        assert strict.count_events() == before

    def test_the_approver_of_a_grant_cannot_disburse_it(self, strict: GrantLedger) -> None:
        strict.record_decision(appointment_minutes(("approver", Role.FINANCE), minutes_ref="人事纪要〔2020〕4号"))
        strict.appoint(
            AppointStaff(
                person="approver", role=Role.FINANCE, granted_by=HR, decision_ref="党组会:人事纪要〔2020〕4号"
            ),
            at=APPOINTED_AT,
        )
        strict.execute(submit(), at=APPOINTED_AT)
        for command in (approve(), notice(), acknowledge()):
            strict.execute(command, at=APPOINTED_AT)
        with pytest.raises(GrantRuleViolation, match="R6 separation of duties: approver acted as the approver"):
            strict.execute(dataclasses.replace(disburse(), actor="approver"), at=APPOINTED_AT)

    def test_a_revoked_role_stops_working_from_its_revocation_time(self, strict: GrantLedger) -> None:
        revoked_at = APPOINTED_AT + timedelta(days=30)
        strict.revoke_role(
            RevokeRole(person="approver", role=Role.APPROVER, revoked_by=HR, reason="调离"), at=revoked_at
        )
        strict.execute(submit(), at=APPOINTED_AT)
        strict.execute(submit(grant_no="HN-2020-ZX-0037"), at=APPOINTED_AT)
        strict.execute(approve(), at=revoked_at - timedelta(seconds=1))
        with pytest.raises(GrantRuleViolation, match=r"approver may not approve application: .*\(holds: no role\)"):
            strict.execute(approve(grant_no="HN-2020-ZX-0037"), at=revoked_at)

    def test_the_deadline_timer_records_a_missed_deadline_without_a_role(self, strict: GrantLedger) -> None:
        strict.execute(submit(), at=APPOINTED_AT)
        for command in (approve(), notice(), acknowledge()):
            strict.execute(command, at=APPOINTED_AT)
        missed = RecordMissedDeadline(
            grant_no=submit().grant_no,
            actor="GrantLifecycle (deadline timer)",
            kind=DeadlineKind.PAYMENT,
            due_at=APPOINTED_AT,
        )
        assert strict.execute(missed, at=APPOINTED_AT).missed(DeadlineKind.PAYMENT) is not None

    def test_an_auditor_records_the_evaluation_and_is_refused_the_close(self, strict: GrantLedger) -> None:
        strict.execute(submit(), at=APPOINTED_AT)
        *before_close, close = lifecycle()
        for command in before_close:
            strict.execute(command, at=AFTER_PERIOD)
        assert strict.state(submit().grant_no).evaluator == evaluate().actor
        with pytest.raises(GrantRuleViolation, match="auditor may not close grant: that needs the role officer"):
            strict.execute(dataclasses.replace(close, actor="auditor"), at=AFTER_PERIOD)

    def test_the_rule_book_keeps_the_role_settings(self, url: str) -> None:
        with open_ledger(url, fund_rules=REQUIRED) as ledger:
            ledger.adopt_rules("湖南省计划生育协会", actor="worker")
        with open_ledger(url) as reopened:
            [book] = reopened.rule_books()
        assert book.current == REQUIRED

    def test_beneficiary_lists_are_registered_by_officers_and_paid_by_finance(self, strict: GrantLedger) -> None:
        strict.execute(submit(), at=APPOINTED_AT)
        for command in (approve(), notice(), acknowledge()):
            strict.execute(command, at=APPOINTED_AT)
        before = strict.count_events()
        grant = {"grant_no": submit().grant_no, "actor": "auditor"}
        with pytest.raises(
            GrantRuleViolation, match="auditor may not register beneficiaries: that needs the role officer"
        ):
            strict.register_beneficiaries(RegisterBeneficiaries(**grant, beneficiaries=(beneficiary(),)))
        payment = PayBeneficiary(
            **grant,
            person_id=UUID(int=1),
            amount=Money(1200_00),
            paid_on=date(2020, 9, 1),
            channel="一卡通",
            card_account="6217",
        )
        with pytest.raises(GrantRuleViolation, match="auditor may not pay beneficiary: that needs the role finance"):
            strict.pay_beneficiary(payment)
        with pytest.raises(GrantError, match="auditor is an auditor, and an auditor changes nothing"):
            strict.erase_person(UUID(int=1), "retention over", "auditor", timedelta(0))
        assert strict.count_events() == before
