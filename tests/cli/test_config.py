"""Configuration: GRANTS_* variables over GRANTS_CONFIG_FILE over defaults; `grants config check` and `show`."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli.config_validation import configuration_problems
from cli.main import grants
from cli.settings import VARIABLES, ConfigError, Settings, read_configuration
from tests.tls_files import self_signed_certificate

README = Path(__file__).parents[2] / "README.md"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """A configuration whose key files exist and are what they should be."""
    signing = tmp_path / "signing.pem"
    signing.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    master = tmp_path / "master.key"
    master.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    return {"GRANTS_SIGNING_KEY_FILE": str(signing), "GRANTS_MASTER_KEY_FILE": str(master)}


@pytest.fixture
def client_certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path)


def problems(env: dict[str, str]) -> list[str]:
    return configuration_problems(read_configuration(env))


class TestSources:
    def test_every_settings_field_has_exactly_one_variable(self) -> None:
        assert sorted(variable.field for variable in VARIABLES) == sorted(field.name for field in fields(Settings))

    def test_defaults_run_the_embedded_stack(self) -> None:
        settings = Settings.from_env({"GRANTS_ACTOR": "张三"})

        assert settings.ledger_url == "sqlite:///var/ledger.sqlite"
        assert settings.temporal_address == "localhost:7233"
        assert settings.signing_key_file == Path("var/checkpoint-signing-key.pem")
        assert (settings.log_format, settings.temporal_tls, settings.worker_http_address) == ("console", False, None)

    def test_the_file_overrides_defaults_and_the_environment_overrides_the_file(self, tmp_path: Path) -> None:
        config = tmp_path / "grants.toml"
        config.write_text('temporal_namespace = "hunan"\ntask_queue = "from-file"\nledger_pool_size = 20\n')

        configuration = read_configuration({"GRANTS_CONFIG_FILE": str(config), "GRANTS_TASK_QUEUE": "from-env"})
        sources = {setting.variable.name: (setting.text, setting.source) for setting in configuration.settings}

        assert sources["GRANTS_TEMPORAL_NAMESPACE"] == ("hunan", "file")
        assert sources["GRANTS_TASK_QUEUE"] == ("from-env", "env")
        assert sources["GRANTS_LEDGER_POOL_SIZE"] == ("20", "file")
        assert sources["GRANTS_TEMPORAL_ADDRESS"] == ("localhost:7233", "default")

    def test_key_files_default_under_the_data_directory_the_file_names(self, tmp_path: Path) -> None:
        config = tmp_path / "grants.toml"
        config.write_text('data_dir = "/srv/grants"\n')

        settings = Settings.from_env({"GRANTS_CONFIG_FILE": str(config)})

        assert settings.master_key_file == Path("/srv/grants/master.key")
        assert settings.ledger_url == "sqlite:////srv/grants/ledger.sqlite"

    def test_settings_refuse_every_bad_value_at_once(self) -> None:
        with pytest.raises(ConfigError) as refused:
            Settings.from_env({"GRANTS_CHECKPOINT_EVERY": "often", "GRANTS_LOG_FORMAT": "xml"})

        assert "GRANTS_CHECKPOINT_EVERY='often'" in str(refused.value)
        assert "GRANTS_LOG_FORMAT='xml' (from env): 'xml' is not one of console, json" in str(refused.value)


class TestCheck:
    def test_a_complete_configuration_has_no_problems(
        self, keys: dict[str, str], client_certificate: tuple[Path, Path]
    ) -> None:
        cert, key = client_certificate
        env = keys | {
            "GRANTS_LEDGER_URL": "postgresql://grants_app@db:5432/ledger?schema=grants&access=append",
            "GRANTS_TEMPORAL_ADDRESS": "hunan.a1b2c.tmprl.cloud:7233",
            "GRANTS_TEMPORAL_TLS_CERT_FILE": str(cert),
            "GRANTS_TEMPORAL_TLS_KEY_FILE": str(key),
            "GRANTS_RULES_FILE": "config/rules/hunan.toml",
            "GRANTS_LOG_FORMAT": "json",
        }

        assert problems(env) == []

    def test_every_problem_is_reported_at_once(self, tmp_path: Path, client_certificate: tuple[Path, Path]) -> None:
        cert, _ = client_certificate
        not_a_key = tmp_path / "notes.txt"
        not_a_key.write_text("hello")
        config = tmp_path / "grants.toml"
        config.write_text('temporal_adress = "typo:7233"\n')
        env = {
            "GRANTS_CONFIG_FILE": str(config),
            "GRANTS_LEDGER_URL": "mysql://root@db/grants",
            "GRANTS_TEMPORAL_ADDRESS": "no-port",
            "GRANTS_LEDGER_POOL_SIZE": "0",
            "GRANTS_SIGNING_KEY_FILE": str(tmp_path / "missing.pem"),
            "GRANTS_MASTER_KEY_FILE": str(not_a_key),
            "GRANTS_RULES_FILE": str(tmp_path / "rules.toml"),
            "GRANTS_TEMPORAL_TLS_CERT_FILE": str(cert),
            "GRANTS_TEMPORAL_TLS_CA_FILE": str(not_a_key),
        }

        found = problems(env)

        expected = [
            "'temporal_adress', which is not a setting",
            "GRANTS_TEMPORAL_ADDRESS='no-port' (from env): 'no-port' is not HOST:PORT",
            "GRANTS_LEDGER_POOL_SIZE='0' (from env): 0 is not a positive whole number",
            "GRANTS_LEDGER_URL: ledger URL 'mysql://root@db/grants' is neither",
            "GRANTS_SIGNING_KEY_FILE: no checkpoint signing key at",
            "GRANTS_MASTER_KEY_FILE: ",
            "GRANTS_RULES_FILE: rules file",
            "GRANTS_TEMPORAL_TLS_CA_FILE: " + str(not_a_key) + " is not a PEM certificate",
            "GRANTS_TEMPORAL_TLS_CERT_FILE is set without GRANTS_TEMPORAL_TLS_KEY_FILE",
        ]
        for fragment in expected:
            assert any(fragment in problem for problem in found), f"{fragment!r} not in {found}"
        assert len(found) == len(expected)

    def test_a_key_given_as_the_certificate_is_caught(
        self, keys: dict[str, str], client_certificate: tuple[Path, Path]
    ) -> None:
        cert, key = client_certificate
        env = keys | {"GRANTS_TEMPORAL_TLS_CERT_FILE": str(key), "GRANTS_TEMPORAL_TLS_KEY_FILE": str(cert)}

        assert [problem.split(":")[0] for problem in problems(env)] == [
            "GRANTS_TEMPORAL_TLS_CERT_FILE",
            "GRANTS_TEMPORAL_TLS_KEY_FILE",
        ]

    def test_an_unreadable_config_file_is_a_problem_not_a_crash(self, tmp_path: Path) -> None:
        config = tmp_path / "grants.toml"
        config.write_text("this is = not = toml")

        assert any("is not valid TOML" in problem for problem in problems({"GRANTS_CONFIG_FILE": str(config)}))


class TestCommands:
    def test_check_exits_2_listing_each_problem_on_its_own_line(self, tmp_path: Path) -> None:
        env = {"GRANTS_DATA_DIR": str(tmp_path), "GRANTS_COMMAND_TIMEOUT": "-1"}

        result = CliRunner().invoke(grants, ["config", "check"], env=env)

        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert len(lines) == 3  # the timeout, the signing key and the master key
        assert all(line.startswith("error: GRANTS_") for line in lines)

    def test_check_passes_a_usable_configuration(self, keys: dict[str, str]) -> None:
        result = CliRunner().invoke(grants, ["config", "check"], env=keys)

        assert (result.exit_code, result.stdout) == (0, "configuration OK\n")

    def test_show_prints_every_variable_with_its_source_and_masks_the_password(self, tmp_path: Path) -> None:
        config = tmp_path / "grants.toml"
        config.write_text('task_queue = "hunan"\n')
        env = {
            "GRANTS_CONFIG_FILE": str(config),
            "GRANTS_LEDGER_URL": "postgresql://grants_app:hunter2@db:5432/ledger?schema=grants&access=append",
        }

        result = CliRunner().invoke(grants, ["config", "show"], env=env)

        assert result.exit_code == 0
        assert "hunter2" not in result.stdout
        assert re.search(r"GRANTS_LEDGER_URL +env +postgresql://grants_app:\*\*\*@db:5432/ledger", result.stdout)
        assert re.search(r"GRANTS_TASK_QUEUE +file +hunan", result.stdout)
        assert re.search(r"GRANTS_TEMPORAL_ADDRESS +default +localhost:7233", result.stdout)
        assert all(variable.name in result.stdout for variable in VARIABLES)

    def test_other_commands_refuse_an_unusable_configuration_in_one_line(self) -> None:
        result = CliRunner().invoke(grants, ["list"], env={"GRANTS_UI_PORT": "eighty"})

        assert result.exit_code == 2
        assert result.stderr.startswith("error: configuration: GRANTS_UI_PORT='eighty'")


def test_the_readme_documents_every_variable() -> None:
    documented = set(re.findall(r"^\| `(GRANTS_[A-Z_]+)`", README.read_text(encoding="utf-8"), re.MULTILINE))

    assert documented >= {variable.name for variable in VARIABLES} | {"GRANTS_CONFIG_FILE"}
