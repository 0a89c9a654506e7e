"""The staff register: appointments as events, key roles on a prior collective decision, and who may record what."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from domain.clock import SHANGHAI
from domain.commands import (
    GrantCommand,
    RaiseObjection,
    RecordEvaluation,
    RecordMajorChange,
    RecordMissedDeadline,
    ResolveObjection,
)
from domain.deadlines import DeadlineKind
from domain.decisions import CollectiveDecision
from domain.errors import GrantRuleViolation
from domain.oversight import FundRules
from domain.personal import PayBeneficiary, RegisterBeneficiaries
from domain.roles import MAY_ISSUE, ROLES_RULE, Role, check_claimed_role
from domain.rulebook import RuleBook, loosened
from domain.staff import (
    IMPORTANT_APPOINTMENT,
    Appointment,
    AppointStaff,
    RevokeRole,
    StaffMember,
    StaffRuleViolation,
    check_actor,
    check_held_role,
    covers,
)
from domain.values import Money
from tests.builders import GRANT_NO, approve, disburse, evaluate, grant_after, lifecycle, reject, submit
from tests.staff_support import APPOINTING, HR, appointment_minutes, beneficiary

AT = datetime(2020, 7, 1, 9, 0, tzinfo=SHANGHAI)  # after the decision of 2020-06-20
RULES = FundRules()


def appointing(*appointments: tuple[str, Role], **changes: object) -> CollectiveDecision:
    return CollectiveDecision.record(appointment_minutes(*appointments, **changes))


def appoint(person: str, role: Role, decision: CollectiveDecision | None = None, **changes: object) -> StaffMember:
    member = StaffMember(person=person)
    command = AppointStaff(person=person, role=role, granted_by=HR, decision_ref=APPOINTING if decision else "")
    member.appoint(dataclasses.replace(command, **changes), AT, decision, RULES)
    return member


def held(role: Role, scope: str = "all") -> list[Appointment]:
    return [Appointment(role, scope, AT, HR)]


def test_an_approver_appointed_without_a_decision_is_refused() -> None:
    with pytest.raises(StaffRuleViolation, match="approver is a key role, and no collective decision is named") as e:
        appoint("刘洋", Role.APPROVER)
    assert e.value.rule == IMPORTANT_APPOINTMENT
    assert "Fix: record the collective decision that appoints 刘洋 as approver" in str(e.value)


def test_an_approver_appointed_on_a_valid_prior_decision_holds_the_role() -> None:
    member = appoint("刘洋", Role.APPROVER, appointing(("刘洋", Role.APPROVER)))
    assert [a.role for a in member.roles_at(AT)] == [Role.APPROVER]
    assert [type(event).__name__ for event in member.collect_events()] == ["StaffMemberRegistered", "RoleGranted"]


def test_an_officer_is_appointed_without_a_decision() -> None:
    assert [a.role for a in appoint("刘洋", Role.OFFICER).roles_at(AT)] == [Role.OFFICER]


def test_the_rule_book_says_which_roles_are_key() -> None:
    member = StaffMember(person="刘洋")
    lax = FundRules(key_roles=(Role.APPROVER,))
    assert member.appoint(AppointStaff(person="刘洋", role=Role.FINANCE, granted_by=HR), AT, None, lax)
    strict = FundRules(key_roles=(*RULES.key_roles, Role.AUDITOR))
    with pytest.raises(StaffRuleViolation, match="auditor is a key role"):
        StaffMember(person="孙丽").appoint(
            AppointStaff(person="孙丽", role=Role.AUDITOR, granted_by=HR), AT, None, strict
        )


@pytest.mark.parametrize(
    ("decision", "problem"),
    [
        pytest.param(
            lambda: appointing(("李四", Role.APPROVER)),
            "has no appointment item for 刘洋 as approver",
            id="not covered",
        ),
        pytest.param(
            lambda: appointing(("刘洋", Role.FINANCE)), "has no appointment item for 刘洋 as approver", id="other role"
        ),
        pytest.param(
            lambda: appointing(("刘洋", Role.APPROVER), held_on=AT.date()),
            "was taken on 2020-07-01, not before the appointment takes effect (2020-07-01)",
            id="taken the same day",
        ),
    ],
)
def test_a_decision_that_does_not_appoint_this_person_before_is_no_authority(decision, problem: str) -> None:
    with pytest.raises(StaffRuleViolation, match=re.escape(problem)):
        appoint("刘洋", Role.APPROVER, decision())


def test_an_appointee_who_voted_on_their_own_appointment_is_refused() -> None:
    with pytest.raises(StaffRuleViolation, match="李明 voted on their own appointment"):
        appoint("李明", Role.FINANCE, appointing(("李明", Role.FINANCE)))


def test_a_decision_below_the_quorum_now_in_force_appoints_nobody() -> None:
    decision = appointing(("刘洋", Role.APPROVER))  # 4 of 5 present: enough for 2/3, not for 9/10
    member = StaffMember(person="刘洋")
    command = AppointStaff(person="刘洋", role=Role.APPROVER, granted_by=HR, decision_ref=APPOINTING)
    with pytest.raises(StaffRuleViolation, match=r"is not valid \(R5\): 4 of 5 members present"):
        member.appoint(command, AT, decision, FundRules(quorum=(9, 10)))


def test_nobody_records_their_own_appointment() -> None:
    with pytest.raises(StaffRuleViolation, match="nobody records their own appointment"):
        appoint("刘洋", Role.OFFICER, granted_by="刘洋")


def test_an_appointment_cannot_take_effect_before_the_day_it_is_recorded() -> None:
    with pytest.raises(StaffRuleViolation, match="cannot take effect on 2020-06-30, before it is recorded"):
        appoint("刘洋", Role.OFFICER, effective_from=AT - timedelta(days=1))


def test_an_appointment_may_take_effect_later() -> None:
    member = appoint("刘洋", Role.OFFICER, effective_from=AT + timedelta(days=3))
    assert member.roles_at(AT) == []
    assert member.roles_at(AT + timedelta(days=3)) != []


def test_appointing_again_to_a_role_held_records_nothing() -> None:
    member = appoint("刘洋", Role.OFFICER)
    member.collect_events()
    assert not member.appoint(AppointStaff(person="刘洋", role=Role.OFFICER, granted_by=HR), AT, None, RULES)
    assert member.collect_events() == []


def test_a_revoked_role_stops_working_from_its_revocation_time() -> None:
    member = appoint("刘洋", Role.OFFICER)
    revoked_at = AT + timedelta(days=30)
    member.revoke(RevokeRole(person="刘洋", role=Role.OFFICER, revoked_by=HR, reason="调离"), revoked_at)
    assert member.roles_at(revoked_at - timedelta(seconds=1)) != []
    assert member.roles_at(revoked_at) == []


def test_revoking_a_role_not_held_is_refused_and_says_what_is_held() -> None:
    member = appoint("刘洋", Role.OFFICER, scope="430100")
    with pytest.raises(
        StaffRuleViolation, match=r"no appointment as officer for scope all .*officer \(region 430100\)"
    ):
        member.revoke(RevokeRole(person="刘洋", role=Role.OFFICER, revoked_by=HR, reason="调离"), AT)


@pytest.mark.parametrize(
    ("scope", "region", "covered"),
    [
        ("all", "430100", True),
        ("430000", "430102", True),  # the province covers its cities and counties
        ("430100", "430102", True),  # a city its districts
        ("430100", "430100", True),
        ("430100", "430200", False),
        ("430102", "430100", False),
        ("440000", "430100", False),
    ],
)
def test_a_scope_covers_its_region_and_the_regions_within_it(scope: str, region: str, covered: bool) -> None:
    assert covers(scope, region) is covered


# check_actor: the preventive rule the ledger applies to every step when roles are required.


def test_a_person_without_the_finance_role_cannot_disburse() -> None:
    state = grant_after(3).state
    with pytest.raises(GrantRuleViolation, match=r"recipient may not record disbursement: that needs the role finance"):
        check_actor(disburse(), held(Role.RECIPIENT), state)


def test_the_refusal_names_the_grant_the_rule_the_person_and_the_fix() -> None:
    with pytest.raises(GrantRuleViolation) as refused:
        check_actor(disburse(), [], grant_after(3).state)
    assert refused.value.rule == ROLES_RULE
    assert str(refused.value) == (
        "grant HN-2020-ZX-0036: R6 roles and separation of duties: recipient may not record disbursement: that "
        "needs the role finance (holds: no role). Fix: appoint recipient as finance with `grants staff appoint "
        "recipient --role finance --scope 430100`, or ask a person with role finance."
    )


def test_a_role_for_another_region_does_not_reach_the_grant() -> None:
    with pytest.raises(GrantRuleViolation, match=r"holds: finance \(region 430200\)"):
        check_actor(disburse(), held(Role.FINANCE, "430200"), grant_after(3).state)
    check_actor(disburse(), held(Role.FINANCE, "430000"), grant_after(3).state)


def test_the_approver_of_a_grant_cannot_disburse_it_even_holding_finance() -> None:
    state = grant_after(3).state
    assert state.approver == "approver"
    pays = dataclasses.replace(disburse(), actor="approver")
    with pytest.raises(GrantRuleViolation, match="R6 separation of duties: approver acted as the approver"):
        check_actor(pays, held(Role.FINANCE), state)


def test_a_claimed_role_must_be_one_the_actor_holds() -> None:
    claims = dataclasses.replace(disburse(), role="finance")
    with pytest.raises(GrantRuleViolation, match="recipient acts as finance, but holds no such appointment"):
        check_actor(claims, held(Role.RECIPIENT), grant_after(3).state)


def test_an_application_is_judged_by_the_region_applied_for() -> None:
    check_actor(submit(), held(Role.OFFICER, "430100"), None)
    with pytest.raises(GrantRuleViolation, match="applicant may not submit application"):
        check_actor(submit(), held(Role.OFFICER, "430200"), None)


def test_the_workflow_s_deadline_timer_needs_no_role() -> None:
    missed = RecordMissedDeadline(
        grant_no="HN-2020-ZX-0036", actor="GrantLifecycle (deadline timer)", kind=DeadlineKind.PAYMENT, due_at=AT
    )
    check_actor(missed, [], grant_after(3).state)


def every_kind_of_step() -> list[GrantCommand]:
    on, grant = date(2020, 10, 2), {"grant_no": GRANT_NO, "actor": "auditor"}
    steps = [
        submit(),
        *lifecycle(),
        reject(),
        RecordMajorChange(**grant, kind="scope_change", changed_on=on, description="扩大范围"),
        RaiseObjection(**grant, raised_on=on, summary="名单有误"),
        ResolveObjection(**grant, objection_no=1, resolved_on=on, resolution="已更正"),
        RegisterBeneficiaries(**grant, beneficiaries=(beneficiary(),)),
        PayBeneficiary(
            **grant, person_id=UUID(int=1), amount=Money(1200_00), paid_on=on, channel="一卡通", card_account="6217"
        ),
    ]
    return [dataclasses.replace(step, actor="auditor") for step in steps]


@pytest.mark.parametrize("step", every_kind_of_step(), ids=lambda step: type(step).__name__)
def test_an_auditor_may_record_an_evaluation_and_nothing_else(step: GrantCommand) -> None:
    state = grant_after(9).state
    if isinstance(step, RecordEvaluation):
        check_held_role(step, held(Role.AUDITOR), state)
        return
    with pytest.raises(GrantRuleViolation, match="auditor may not"):
        check_held_role(step, held(Role.AUDITOR), state)


def test_those_are_all_the_steps_a_person_may_record() -> None:
    issued = {command for commands in MAY_ISSUE.values() for command in commands}
    assert {type(step) for step in every_kind_of_step()} == issued


# check_claimed_role: what a workflow's update validator can check without I/O.


def test_a_claimed_role_that_may_not_issue_the_command_is_refused() -> None:
    with pytest.raises(GrantRuleViolation, match="officer, acting as officer, may not approve application"):
        check_claimed_role(dataclasses.replace(approve(), actor="officer", role="officer"))


def test_a_claim_that_is_no_role_is_refused() -> None:
    with pytest.raises(GrantRuleViolation, match="claims the role 'boss'"):
        check_claimed_role(dataclasses.replace(approve(), role="boss"))


def test_a_fitting_claim_or_none_passes() -> None:
    check_claimed_role(dataclasses.replace(approve(), role="approver"))
    check_claimed_role(approve())
    check_claimed_role(dataclasses.replace(evaluate(), role="auditor"))


def test_the_rule_book_records_whether_roles_are_required_and_which_are_key() -> None:
    book = RuleBook(funding_body="湖南省计划生育协会")
    rules = FundRules(roles_required=True, key_roles=(Role.APPROVER, Role.FINANCE, Role.AUDITOR))
    book.adopt(rules, actor="worker")
    assert book.current == rules


def test_turning_the_role_checks_off_or_a_key_role_into_a_plain_one_is_a_loosening() -> None:
    before = FundRules(roles_required=True)
    after = FundRules(roles_required=False, key_roles=(Role.APPROVER,))
    assert loosened(before, after) == [
        "steps no longer checked against the staff register (roles not required)",
        "appointment as finance no longer needs a collective decision",
    ]
