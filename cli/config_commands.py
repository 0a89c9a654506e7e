"""`grants config check` and `grants config show` (the effective configuration, validated without connecting),
and `grants ledger init` (the PostgreSQL ledger set up by its owner for workers that may only append)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.config_validation import configuration_problems
from cli.errors import USAGE_ERROR, refusals_fail
from cli.settings import Settings, mask_secrets, read_configuration
from ledger.roles import initialise_ledger


@click.group("config")
def config_group() -> None:
    """The configuration: GRANTS_* variables over GRANTS_CONFIG_FILE (TOML) over defaults."""


@config_group.command()
def check() -> None:
    """Report every problem of the configuration at once (exit 2 if any), without connecting to anything."""
    configuration = read_configuration()
    problems = configuration_problems(configuration)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise SystemExit(USAGE_ERROR)
    source = f" (with {configuration.config_file})" if configuration.config_file else ""
    click.echo(f"configuration OK{source}")


@config_group.command()
def show() -> None:
    """Print each variable's effective value and where it came from (default, file, env); secrets masked."""
    configuration = read_configuration()
    width = max(len(setting.variable.name) for setting in configuration.settings)
    for setting in configuration.settings:
        shown = mask_secrets(setting.variable, setting.text) or "(none)"
        click.echo(f"{setting.variable.name:<{width}}  {setting.source:<7}  {shown}")
    if configuration.config_file:
        click.echo(f"configuration file: {configuration.config_file}")


@click.command("init")
@click.option("--app-role", required=True, help="The PostgreSQL role the workers connect as (created if missing).")
@click.option(
    "--app-password-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding that role's password (never the password itself on the command line).",
)
@click.pass_obj
def ledger_init(settings: Settings, app_role: str, app_password_file: Path | None) -> None:
    """Set the PostgreSQL ledger up as its owner (GRANTS_LEDGER_URL) and grant APP_ROLE append access only."""
    password = app_password_file.read_text(encoding="utf-8").strip() if app_password_file else None
    with refusals_fail():
        app_url = initialise_ledger(settings.ledger_url, app_role, password)
    click.echo(f"ledger ready; workers connect with GRANTS_LEDGER_URL={app_url}")
