"""Which role records which step: one table, read by the API, the workflow validators and the ledger."""

from __future__ import annotations

from domain.commands import ApproveApplication, RecordDisbursement, RecordEvaluation, RecordMissedDeadline
from domain.roles import MAY_ISSUE, Role, may_issue, roles_for


def test_an_approver_approves_and_an_officer_may_not() -> None:
    assert may_issue(Role.APPROVER, ApproveApplication)
    assert not may_issue(Role.OFFICER, ApproveApplication)


def test_money_moves_only_by_finance() -> None:
    assert roles_for(RecordDisbursement) == [Role.FINANCE]


def test_an_auditor_records_the_evaluation_and_nothing_else() -> None:
    assert MAY_ISSUE[Role.AUDITOR] == frozenset({RecordEvaluation})


def test_an_operator_records_no_step() -> None:
    assert MAY_ISSUE[Role.OPERATOR] == frozenset()


def test_a_missed_deadline_is_the_workflow_s_to_record_not_a_person_s() -> None:
    assert roles_for(RecordMissedDeadline) == []
