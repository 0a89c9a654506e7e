"""`grants list` reads the read models, brought up to date first, and refuses filter values it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import grants
from ledger.application import open_ledger
from tests.builders import lifecycle, reject, submit


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A ledger file with a closed grant of Changsha's 2020 暖心家园 and a rejected one of Zhuzhou's 2021 金秋助学."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    with open_ledger(url) as ledger:
        ledger.execute(submit("HN-2020-A"))
        for command in lifecycle("HN-2020-A"):
            ledger.execute(command)
        ledger.execute(submit("HN-2021-B", region="430200", program="金秋助学", fiscal_year=2021))
        ledger.execute(reject("HN-2021-B"))
    return {"GRANTS_DATA_DIR": str(tmp_path), "GRANTS_LEDGER_URL": url}


def grants_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(grants, list(args), env=env)
    return result.exit_code, result.output


def test_list_shows_every_grant_with_its_stage_and_amounts(env: dict[str, str]) -> None:
    code, output = grants_cli(env, "list")
    assert code == 0
    lines = output.splitlines()
    assert lines[0].split() == ["grant", "recipient", "stage", "approved", "appropriated", "disbursed", "evaluation"]
    assert lines[2].split() == ["HN-2020-A", "长沙市计划生育协会", "closed", *["90,000.00"] * 3, "93.5", "优"]
    assert lines[3].split() == ["HN-2021-B", "长沙市计划生育协会", "rejected", *["0.00"] * 3, "-"]


def test_list_sees_what_was_recorded_since_it_last_ran(env: dict[str, str]) -> None:
    grants_cli(env, "list")
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        ledger.execute(submit("HN-2020-C"))
    code, output = grants_cli(env, "list", "--stage", "application")
    assert (code, output.splitlines()[2].split()[0]) == (0, "HN-2020-C")


def test_list_filters_by_region_year_and_program_and_writes_json(env: dict[str, str]) -> None:
    code, output = grants_cli(
        env, "list", "--region", "430200", "--year", "2021", "--program", "金秋助学", "--format", "json"
    )
    assert code == 0
    [grant] = json.loads(output)
    assert (grant["grant_no"], grant["stage"], grant["approved_fen"], grant["overdue"]) == (
        "HN-2021-B",
        "rejected",
        None,
        False,
    )
    assert grants_cli(env, "list", "--overdue") == (0, "no grant matches\n")


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--stage", "paying", "'paying' is not one of 'application', 'appropriation', 'disbursement'"),
        ("--region", "4301", "'4301' is not a six-digit GB/T 2260 code"),
        ("--year", "20", "20 is not in the range 2000<=x<=2100"),
    ],
)
def test_list_refuses_a_filter_value_it_cannot_use(env: dict[str, str], option: str, value: str, says: str) -> None:
    code, output = grants_cli(env, "list", option, value)
    assert code == 2
    assert says in output


def test_rebuild_read_models_projects_the_whole_ledger_again(env: dict[str, str]) -> None:
    _, before = grants_cli(env, "list")
    code, output = grants_cli(env, "ledger", "rebuild-read-models")
    assert code == 0
    assert output.startswith("rebuilt the read models from 13 ledger events (up to notification 13)")
    assert grants_cli(env, "list") == (0, before)
