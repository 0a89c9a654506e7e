"""The rules configuration file: the shipped one holds DESIGN.md's defaults; a bad one is refused with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.rules_file import RulesFileError, load_rules
from domain.deadlines import DeadlinePolicy
from domain.oversight import FundRules
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
