"""The custom search attributes: the dev server of `grants up` registers all seven, each with its type."""

from __future__ import annotations

from pathlib import Path

from cli.settings import Settings
from cli.stack import dev_server_command
from workflows.search_attributes import ALL, dev_server_flags

REGISTERED = {
    "GrantStage": "Keyword",
    "GrantRegion": "Keyword",
    "GrantProgram": "Keyword",
    "FiscalYear": "Int",
    "GrantAmountFen": "Int",
    "GrantDueAt": "Datetime",
    "GrantOverdue": "Bool",
}


def registered(command: list[str]) -> dict[str, str]:
    """`--search-attribute Name=Type` pairs of a `temporal server start-dev` command line."""
    values = [command[i + 1] for i, flag in enumerate(command) if flag == "--search-attribute"]
    return dict(value.split("=", 1) for value in values)


def test_the_flags_register_all_seven_attributes_with_their_types() -> None:
    assert registered(dev_server_flags()) == REGISTERED
    assert len(dev_server_flags()) == 2 * len(REGISTERED), "each attribute once"
    assert [key.name for key in ALL] == list(REGISTERED)


def test_grants_up_starts_the_dev_server_with_them(tmp_path: Path) -> None:
    fake_cli = tmp_path / "temporal"
    fake_cli.write_text("")
    settings = Settings.from_env({"GRANTS_DATA_DIR": str(tmp_path), "GRANTS_TEMPORAL_CLI": str(fake_cli)})
    command = dev_server_command(settings)
    assert command[:3] == [str(fake_cli), "server", "start-dev"], "GRANTS_TEMPORAL_CLI names the binary"
    assert registered(command) == REGISTERED
