"""A PostgreSQL ledger set up by `grants ledger init` for a uniquely named application role, removed afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg import sql

from ledger.roles import initialise_ledger
from tests.ledger.postgres import connect, fresh_schema_url


@dataclass(frozen=True)
class RoleLedger:
    owner_url: str  # the schema's owner: what `grants ledger init` runs as
    app_url: str  # what the workers connect as: `?access=append`, insert and select only
    app_role: str


@contextmanager
def role_ledger() -> Iterator[RoleLedger]:
    """A fresh schema set up by its owner, and a new application role; the role and the schema dropped after."""
    role = f"grants_app_{secrets.token_hex(4)}"
    with fresh_schema_url() as owner_url:
        try:
            yield RoleLedger(owner_url, initialise_ledger(owner_url, role), role)
        finally:
            with connect(owner_url) as connection:
                connection.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
