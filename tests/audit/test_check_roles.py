"""`grants audit check` on the staff register: steps by people without the role, key appointments without a decision."""

from __future__ import annotations

import dataclasses

from audit.check import VIOLATION, check_ledger
from domain.oversight import FundRules
from domain.roles import ROLES_RULE, Role
from domain.staff import IMPORTANT_APPOINTMENT, StaffMember
from ledger.application import open_ledger
from ledger.history_import import parse_history
from tests.audit.test_imported_histories import history_with_an_undecided_large_payment
from tests.builders import AFTER_PERIOD, approve, lifecycle, submit
from tests.staff_support import APPOINTED_AT, HR, appoint_builder_staff

REQUIRED = FundRules(roles_required=True)
BODY = "湖南省计划生育协会"


def test_a_ledger_kept_by_appointed_staff_under_required_roles_has_no_findings(ledger_url: str) -> None:
    with open_ledger(ledger_url, fund_rules=REQUIRED) as ledger:
        ledger.adopt_rules(BODY, actor="worker")
        appoint_builder_staff(ledger, APPOINTED_AT)
        ledger.execute(submit())
        for command in lifecycle():
            ledger.execute(command, at=AFTER_PERIOD)
        assert check_ledger(ledger) == []


def test_a_step_by_someone_without_the_role_while_roles_were_required_is_a_finding(ledger_url: str) -> None:
    """A worker started without the rules file lets a stranger approve; the rule book says roles were required."""
    with open_ledger(ledger_url, fund_rules=REQUIRED) as ledger:
        ledger.adopt_rules(BODY, actor="worker")
        appoint_builder_staff(ledger, APPOINTED_AT)
    with open_ledger(ledger_url) as unchecked:
        unchecked.execute(submit())
        unchecked.execute(dataclasses.replace(approve(), actor="stranger"))
    with open_ledger(ledger_url) as ledger:
        (finding,) = check_ledger(ledger)
    assert (finding.grant_no, finding.versions, finding.rule, finding.severity) == (
        submit().grant_no,
        (2,),
        ROLES_RULE,
        VIOLATION,
    )
    assert finding.message.startswith("stranger may not approve application: that needs the role approver")
    assert "when ApplicationApproved was recorded" in finding.message


def test_without_required_roles_the_register_is_not_consulted(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.execute(submit())
        ledger.execute(dataclasses.replace(approve(), actor="stranger"))
        assert check_ledger(ledger) == []


def test_a_key_appointment_without_a_valid_prior_decision_is_a_finding_citing_it(ledger_url: str) -> None:
    """An appointment written behind the rules (as older code or a direct write would leave it) shows on replay."""
    with open_ledger(ledger_url) as ledger:
        member = StaffMember(person="刘洋")
        member._role_granted(Role.APPROVER.value, "all", APPOINTED_AT, HR, "")
        ledger.save(member)
        (finding,) = check_ledger(ledger)
    assert (finding.grant_no, finding.versions, finding.rule) == ("(staff 刘洋)", (2,), IMPORTANT_APPOINTMENT)
    assert "appointment as approver recorded" in finding.message
    assert "approver is a key role, and no collective decision is named. Fix: appoint 刘洋 again" in finding.message


def test_an_imported_history_is_judged_by_the_rules_but_not_against_the_register(ledger_url: str) -> None:
    """The register does not speak for the time before this system: imported steps bring no role finding."""
    with open_ledger(ledger_url, fund_rules=REQUIRED) as ledger:
        ledger.import_history(parse_history(history_with_an_undecided_large_payment(), "2019.jsonl"))
        rules = {finding.rule for finding in check_ledger(ledger, fund_rules=REQUIRED)}
    assert "R3 large-amount fund use" in rules
    assert ROLES_RULE not in rules
