"""How the CLI refuses: one line on stderr naming the grant, the rule and the fix, and exit status 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from cli.rules_file import RulesFileError
from cli.settings import ConfigError
from cli.stack import StackError
from domain.errors import GrantError
from ledger.checkpoints import CheckpointFileError
from ledger.history_import import HistoryFileError
from ledger.personal_data import MasterKeyError
from ledger.settings import LedgerURLError

USAGE_ERROR = 2
# Refusals of the domain, and configuration or input that cannot be used: each message says what to fix.
REFUSALS = (
    GrantError,
    LedgerURLError,
    StackError,
    CheckpointFileError,
    MasterKeyError,
    RulesFileError,
    HistoryFileError,
    ConfigError,
)


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE_ERROR)


@contextmanager
def refusals_fail() -> Iterator[None]:
    """Turn a refusal (domain rule, bad configuration, stack trouble) into a one-line error, exit status 2."""
    try:
        yield
    except REFUSALS as error:
        fail(str(error))
