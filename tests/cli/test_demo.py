"""The demo's people and their roles: the scenario `make demo` plays runs with roles required (the shipped rules)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from audit.check import check_ledger
from cli.demo import CITY_GRANTS, SHIPPED_RULES, appointments, collective_decision, kept_stack_hint, lifecycle
from cli.rules_file import load_rules
from cli.settings import Settings
from domain.errors import GrantRuleViolation
from domain.roles import check_claimed_role
from domain.stages import Stage
from ledger.application import open_ledger


def test_the_demo_s_staff_take_two_city_grants_through_every_stage_with_roles_required(ledger_url: str) -> None:
    rules = load_rules(SHIPPED_RULES)
    assert rules.fund_rules.roles_required
    with open_ledger(ledger_url, fund_rules=rules.fund_rules) as ledger:
        ledger.adopt_rules(rules.funding_body, actor="worker")
        ledger.record_decision(collective_decision())
        for appointment in appointments():
            assert ledger.appoint(appointment)
        for index in (0, 13):
            for command in lifecycle(index, CITY_GRANTS[index]):
                check_claimed_role(command)  # what the workflow's validator checks
                state = ledger.execute(command)
            assert state.stage is Stage.CLOSED
        assert check_ledger(ledger, fund_rules=rules.fund_rules) == []


def test_one_city_s_finance_office_cannot_pay_another_city_s_grant(ledger_url: str) -> None:
    """Scopes matter: 湘西's finance office is appointed for its own region only."""
    rules = load_rules(SHIPPED_RULES)
    with open_ledger(ledger_url, fund_rules=rules.fund_rules) as ledger:
        ledger.record_decision(collective_decision())
        for appointment in appointments():
            ledger.appoint(appointment)
        changsha = lifecycle(0, CITY_GRANTS[0])
        for command in changsha[:4]:
            ledger.execute(command)
        xiangxi = lifecycle(13, CITY_GRANTS[13])[4].actor
        with pytest.raises(
            GrantRuleViolation, match=r"acts as finance, but holds no such appointment for region 430100"
        ):
            ledger.execute(dataclasses.replace(changsha[4], actor=xiangxi))


class TestKeptStackHint:
    """`make demo KEEP=1` prints the export that points the other commands at the demo's own ledger."""

    def demo_settings(self) -> Settings:
        return Settings.from_env({"GRANTS_DATA_DIR": "var/demo", "GRANTS_RULES_FILE": str(SHIPPED_RULES)})

    def test_the_data_directory_and_the_rules_are_enough_by_default(self) -> None:
        hint = kept_stack_hint(self.demo_settings(), pinned=set())
        assert f"  export GRANTS_DATA_DIR=var/demo GRANTS_RULES_FILE={os.path.relpath(SHIPPED_RULES)}\n" in hint

    def test_a_ledger_url_set_apart_from_the_data_directory_is_exported_too(self) -> None:
        hint = kept_stack_hint(self.demo_settings(), pinned={"GRANTS_LEDGER_URL", "GRANTS_ACTOR"})
        (export,) = [line for line in hint.splitlines() if line.startswith("  export ")]
        assert "GRANTS_LEDGER_URL=sqlite:///var/demo/ledger.sqlite" in export
        assert "GRANTS_ACTOR" not in export, "only what decides where the demo's data is"
