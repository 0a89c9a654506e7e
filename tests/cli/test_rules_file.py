"""The rules configuration file: the shipped one holds DESIGN.md's defaults; a bad one is refused with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.rules_file import RulesFileError, load_rules
from domain.deadlines import DAY_SECONDS, DeadlinePolicy
from domain.oversight import FundRules, ScoreWeights
from domain.roles import Role

SHIPPED = Path(__file__).parents[2] / "config" / "rules" / "hunan.toml"


def test_the_shipped_rules_are_the_defaults_of_the_design_with_roles_required() -> None:
    rules = load_rules(SHIPPED)
    assert rules.funding_body == "湖南省计划生育协会"
    assert rules.fund_rules == FundRules(roles_required=True)  # the code's default leaves roles unchecked
    assert rules.deadlines == DeadlinePolicy()
    assert load_rules(None).fund_rules == FundRules()


def test_a_rules_file_with_a_bad_value_is_refused_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(SHIPPED.read_text(encoding="utf-8").replace('"100000.00"', '"-5"'), encoding="utf-8")
    with pytest.raises(RulesFileError, match=rf"rules file {bad}: threshold -5 must be more than zero\. Fix: "):
        load_rules(bad)


def test_a_missing_key_is_named(tmp_path: Path) -> None:
    incomplete = tmp_path / "rules.toml"
    incomplete.write_text('funding_body = "x"\n', encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"'decisions' is missing\. Fix: compare with config/rules/hunan.toml"):
        load_rules(incomplete)


def test_without_a_roles_section_roles_are_not_required(tmp_path: Path) -> None:
    older = tmp_path / "rules.toml"
    shipped = SHIPPED.read_text(encoding="utf-8")
    older.write_text(shipped[: shipped.index("[roles]")] + shipped[shipped.index("[deadlines]") :], encoding="utf-8")
    assert load_rules(older).fund_rules == FundRules()


def test_the_key_roles_are_configurable_and_checked(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    shipped = SHIPPED.read_text(encoding="utf-8")
    rules.write_text(shipped.replace('key = ["approver", "finance"]', 'key = ["approver"]'), encoding="utf-8")
    assert load_rules(rules).fund_rules.key_roles == (Role.APPROVER,)
    rules.write_text(shipped.replace('key = ["approver", "finance"]', 'key = ["boss"]'), encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"roles.key \['boss'\] names a role that is not one of officer, "):
        load_rules(rules)
    rules.write_text(shipped.replace("required = true", 'required = "yes"'), encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"roles\.required must be true or false, got 'yes'"):
        load_rules(rules)


def test_the_score_weights_are_configurable_and_must_add_up_to_100(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    shipped = SHIPPED.read_text(encoding="utf-8")
    default = "budget_execution = 10, outputs = 50, outcomes = 30, satisfaction = 10"
    assert load_rules(SHIPPED).fund_rules.score_weights == ScoreWeights()
    rules.write_text(shipped.replace(default, default.replace("10, outputs = 50", "20, outputs = 40")), "utf-8")
    assert load_rules(rules).fund_rules.score_weights == ScoreWeights(20, 40, 30, 10)
    rules.write_text(shipped.replace("outputs = 50", "outputs = 60"), encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"score weights must add up to 100 points, but .* add up to 110\. Fix: "):
        load_rules(rules)
    rules.write_text(shipped.replace(", satisfaction = 10", ""), encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"evaluation\.weights must give the points of each of budget_execution, "):
        load_rules(rules)
    rules.write_text(shipped[: shipped.index("[evaluation]")], encoding="utf-8")
    assert load_rules(rules).fund_rules.score_weights == ScoreWeights(), "without the section: DESIGN.md's weights"


def test_the_deadlines_are_part_of_the_rules_the_ledger_records(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    shipped = SHIPPED.read_text(encoding="utf-8")
    rules.write_text(shipped.replace("payment_due_days = 30", "payment_due_days = 15"), encoding="utf-8")
    loaded = load_rules(rules)
    assert loaded.fund_rules.deadlines == loaded.deadlines == DeadlinePolicy(payment_due_seconds=15 * DAY_SECONDS)
    rules.write_text(shipped.replace("payment_due_days = 30", "payment_due_days = 0"), encoding="utf-8")
    with pytest.raises(RulesFileError, match=r"deadlines\.payment_due_days must be more than zero days, got 0"):
        load_rules(rules)
