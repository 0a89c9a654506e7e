"""How the CLI refuses: one line on stderr naming the grant, the rule and the fix, and exit status 2.

A system failure (Temporal or the ledger's database unreachable, no worker answering) is one line too, with
exit status 1; its detail goes to the structured log (shown with `grants -v`), never a traceback.
"""

from __future__ import annotations

import unicodedata
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
from ledger.proofs import ProofError
from ledger.settings import LedgerURLError

USAGE_ERROR = 2
SYSTEM_FAILURE = 1
# Control characters (including the separators \x1c-\x1e and NEL that Python and terminals treat as line
# breaks) and the Unicode line and paragraph separators.
LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
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
    ProofError,
)


def fail(message: str, status: int = USAGE_ERROR) -> NoReturn:
    click.echo(f"error: {one_line(message)}", err=True)
    raise SystemExit(status)


def one_line(message: str) -> str:
    """`message` with what a user typed made harmless: control characters and line breaks shown escaped.

    Messages quote the user's input (a grant number, a name); raw, a newline would split the error and an escape
    sequence would drive the terminal.
    """
    return "".join(
        character.encode("unicode_escape").decode() if unicodedata.category(character) in LINE_BREAKING else character
        for character in message
    )


@contextmanager
def refusals_fail() -> Iterator[None]:
    """Turn a refusal (domain rule, bad configuration, stack trouble) into a one-line error, exit status 2."""
    try:
        yield
    except REFUSALS as error:
        fail(str(error))
