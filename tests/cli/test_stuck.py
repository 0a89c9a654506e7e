"""`grants stuck` as typed: its options, its refusals, its two formats and the Web UI link it prints (no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

import cli.operations
from cli.main import grants
from cli.operations import StuckGrant
from cli.settings import Settings

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
PROBLEM = "overdue: payment in full of the appropriated amount (payment deadline missed)"


class Asked:
    """What `grants stuck` asked `find_stuck` (instead of a Temporal server)."""

    def __init__(self) -> None:
        self.ui_url: str | None = None
        self.older_than: timedelta | None = None


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    """`grants stuck` without Temporal: one overdue grant, whose link is built from the UI URL the command passes."""
    seen = Asked()

    async def connect(_settings: Settings) -> object:
        return object()

    async def find_stuck(_client: object, ui_url: str, older_than: timedelta, _now: datetime) -> list[StuckGrant]:
        seen.ui_url, seen.older_than = ui_url, older_than
        return [
            StuckGrant(
                grant_no="HN-2020-ZX-0036",
                workflow_id="grant-HN-2020-ZX-0036",
                stage="publicity",
                problem=PROBLEM,
                who_must_act="recipient's finance office",
                since=NOW - timedelta(days=3, hours=2),
                last_failure=None,
                attempts=0,
                web_ui=f"{ui_url}/grant-HN-2020-ZX-0036",
            )
        ]

    monkeypatch.setattr(cli.operations, "connect", connect)
    monkeypatch.setattr(cli.operations, "find_stuck", find_stuck)
    monkeypatch.setattr(cli.operations, "now_utc", lambda: NOW)
    return seen


def stuck(*args: str, env: dict[str, str] | None = None) -> Any:  # click's Result
    return CliRunner().invoke(grants, ["stuck", *args], env={"GRANTS_ACTOR": "operator", **(env or {})})


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2d", timedelta(days=2)),
        ("36h", timedelta(hours=36)),
        ("15m", timedelta(minutes=15)),
        ("30s", timedelta(seconds=30)),
        ("1.5d", timedelta(hours=36)),
        (" 2d ", timedelta(days=2)),
    ],
)
def test_older_than_takes_a_number_and_a_unit(asked: Asked, typed: str, meant: timedelta) -> None:
    result = stuck("--older-than", typed)
    assert result.exit_code == 0, result.output
    assert asked.older_than == meant


def test_without_older_than_every_stuck_grant_is_listed(asked: Asked) -> None:
    assert stuck().exit_code == 0
    assert asked.older_than == timedelta(0)


@pytest.mark.parametrize("typed", ["2", "2 days", "2w", "-1d", "d", "two days", ""])
def test_a_duration_it_cannot_read_is_refused_before_connecting(asked: Asked, typed: str) -> None:
    result = stuck("--older-than", typed)
    assert result.exit_code == 2
    assert f"Invalid value for '--older-than': {typed!r} is not a duration; write it like 30s, 15m, 2h or 2d" in (
        result.output
    )
    assert asked.older_than is None, "nothing was asked of Temporal"


def test_the_text_format_gives_stage_problem_since_who_and_link(asked: Asked) -> None:
    result = stuck()
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"HN-2020-ZX-0036  stage publicity  {PROBLEM}",
        "  since 2026-11-22 07:00:00 (Asia/Shanghai, 3d ago)",
        "  who must act: recipient's finance office",
        "  http://localhost:8233/namespaces/default/workflows/grant-HN-2020-ZX-0036",
        "1 stuck grant(s)",
    ]


def test_the_json_format_gives_the_same_fields(asked: Asked) -> None:
    result = stuck("--format", "json")
    assert result.exit_code == 0
    (entry,) = json.loads(result.output)
    assert entry["grant_no"] == "HN-2020-ZX-0036"
    assert entry["who_must_act"] == "recipient's finance office"
    assert entry["since"] == "2026-11-21T23:00:00+00:00"


def test_an_unknown_format_is_refused(asked: Asked) -> None:
    result = stuck("--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'json'" in result.output


class TestWebUiLink:
    def test_it_follows_grants_ui_url(self, asked: Asked) -> None:
        result = stuck(env={"GRANTS_UI_URL": "https://temporal.example.org/", "GRANTS_TEMPORAL_NAMESPACE": "hunan"})
        assert result.exit_code == 0
        assert asked.ui_url == "https://temporal.example.org/namespaces/hunan/workflows"
        assert "  https://temporal.example.org/namespaces/hunan/workflows/grant-HN-2020-ZX-0036" in result.output

    def test_by_default_it_is_the_local_stacks_web_ui_on_its_port(self) -> None:
        assert Settings.from_env({}).ui_url == "http://localhost:8233/namespaces/default/workflows"
        assert (
            Settings.from_env({"GRANTS_UI_PORT": "9233"}).ui_url == "http://localhost:9233/namespaces/default/workflows"
        )

    def test_a_url_that_is_not_http_is_a_configuration_problem(self) -> None:
        result = stuck(env={"GRANTS_UI_URL": "temporal.example.org"})
        assert result.exit_code == 2
        assert (
            "GRANTS_UI_URL='temporal.example.org' (from env): 'temporal.example.org' is not an http:// or https://"
            in (result.output)
        )

    def test_a_url_with_no_host_is_a_configuration_problem(self) -> None:
        result = stuck(env={"GRANTS_UI_URL": "https://"})
        assert result.exit_code == 2
        assert "'https://' is not an http:// or https:// URL" in result.output
