"""`grants beneficiaries register`: each bad row reported by the line it starts on, and nobody registered."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import grants
from ledger.application import open_ledger
from ledger.personal_data import ensure_master_key
from tests.builders import GRANT_NO, submit

HEADER = "name,id_number,card_account,category,township,amount"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A ledger file holding one application, and a master key."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    with open_ledger(url) as ledger:
        ledger.execute(submit(GRANT_NO))
    ensure_master_key(tmp_path / "master.key")
    return {"GRANTS_LEDGER_URL": url, "GRANTS_MASTER_KEY_FILE": str(tmp_path / "master.key"), "GRANTS_ACTOR": "项目办"}


def register(env: dict[str, str], folder: Path, *lines: str) -> Result:
    list_file = folder / "list.csv"
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(grants, ["beneficiaries", "register", GRANT_NO, "--file", str(list_file)], env=env)


def events_in(env: dict[str, str]) -> int:
    with open_ledger(env["GRANTS_LEDGER_URL"]) as ledger:
        return ledger.count_events()


def test_bad_rows_are_reported_by_the_line_they_start_on_after_blank_lines_and_quoted_newlines(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = events_in(env)
    result = register(
        env,
        tmp_path,
        HEADER,  # line 1
        "张三,430102198001011233,6217001234567890123,计生特殊家庭,岳麓区莲花镇,1200.00",  # 2: good
        "",  # 3: blank
        '李四,430102198502022345,6217009876543210987,独生子女伤残家庭,"岳麓区',  # 4: wrong check digit ...
        '雨敞坪镇",1200.00',  # 5: ... its township quoted over two lines
        '王五,430121199003034563,6217000000000000001,计生特殊家庭,"岳麓区',  # 6: a negative amount ...
        '莲花镇",-5',  # 7
        "",  # 8: blank
        "赵六,430121197505057897,6217000000000000002,计生特殊家庭,岳麓区莲花镇,1200.00",  # 9: good
        "张三,430102198001011233,6217001234567890123,计生特殊家庭,岳麓区莲花镇,1200.00",  # 10: listed twice
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: grant {GRANT_NO}: {tmp_path / 'list.csv'}: 3 bad row(s), nothing registered: "
        "line 4: ID number 43*************345 is not a valid resident ID (18 characters, checksum); "
        "line 6: the amount must be more than zero, got -5.00 yuan; "
        "line 10: the same person as line 2\n"
    )
    assert events_in(env) == before


def test_a_list_with_blank_lines_and_a_quoted_newline_is_registered_whole(env: dict[str, str], tmp_path: Path) -> None:
    result = register(
        env,
        tmp_path,
        "",
        HEADER,
        "张三,430102198001011233,6217001234567890123,计生特殊家庭,岳麓区莲花镇,1200.00",
        "",
        '李四,430102198502022344,6217009876543210987,独生子女伤残家庭,"岳麓区',
        '雨敞坪镇",1200.00',
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"grant {GRANT_NO}: 2 people registered, 2 on the list; personal data sealed\n"
