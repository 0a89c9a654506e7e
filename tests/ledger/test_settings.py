from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ledger.settings import (
    SQLITE_LOCK_TIMEOUT_SECONDS,
    LedgerURLError,
    default_ledger_url,
    persistence_env,
    postgres_schema,
)


class TestSQLite:
    def test_a_sqlite_url_selects_eventsourcing_sqlite_on_that_file(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"

        assert persistence_env(f"sqlite:///{path}") == {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedSQLiteApplicationRecorder",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
        }

    def test_the_directory_of_the_file_is_created(self, tmp_path: Path) -> None:
        path = tmp_path / "var" / "data" / "ledger.sqlite"

        persistence_env(f"sqlite:///{path}")

        assert path.parent.is_dir()
        assert not path.exists(), "only the directory: the file is the recorder's to create"

    def test_the_default_url_is_a_file_in_the_data_directory(self, tmp_path: Path) -> None:
        url = default_ledger_url(tmp_path / "data")

        assert url == f"sqlite:///{tmp_path}/data/ledger.sqlite"
        assert persistence_env(url)["SQLITE_DBNAME"] == str(tmp_path / "data" / "ledger.sqlite")

    @pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
    def test_sqlite_without_a_file_is_refused(self, url: str) -> None:
        with pytest.raises(LedgerURLError, match=re.escape(f"ledger URL {url!r} names no file")):
            persistence_env(url)


class TestPostgres:
    def test_a_postgresql_url_selects_eventsourcing_postgres_with_its_schema(self) -> None:
        env = persistence_env("postgresql://grants:s%40cret@db.internal:6543/ledger?schema=t_0123abcd")

        assert env == {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedPostgresApplicationRecorder",
            "POSTGRES_DBNAME": "ledger",
            "POSTGRES_HOST": "db.internal",
            "POSTGRES_PORT": "6543",
            "POSTGRES_USER": "grants",
            "POSTGRES_PASSWORD": "s@cret",
            "POSTGRES_SCHEMA": "t_0123abcd",
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }

    def test_missing_parts_of_a_postgresql_url_take_the_defaults(self) -> None:
        env = persistence_env("postgresql://")

        assert (env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("postgres", "127.0.0.1", "5432")
        assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == ("postgres", "", "public")

    def test_a_url_naming_the_psycopg_driver_is_postgresql_too(self) -> None:
        env = persistence_env("postgresql+psycopg://postgres@127.0.0.1/test?schema=grants")

        assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        assert env["POSTGRES_SCHEMA"] == "grants"

    @pytest.mark.parametrize(
        ("url", "schema"),
        [
            ("postgresql://h/db", "public"),
            ("postgresql://h/db?schema=audit", "audit"),
            ("postgresql://h/db?schema=first&schema=second", "first"),
        ],
    )
    def test_the_schema_comes_from_the_url_or_defaults_to_public(self, url: str, schema: str) -> None:
        assert postgres_schema(make_url(url)) == schema


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "cannot be parsed"),
        ("", "cannot be parsed"),
        ("mysql://root@127.0.0.1/grants", "is neither sqlite:///FILE nor postgresql://USER@HOST/DB"),
        ("oracle+cx_oracle://scott@db/orcl", "is neither sqlite:///FILE nor postgresql://USER@HOST/DB"),
    ],
)
def test_an_unparseable_or_unsupported_url_is_refused_naming_the_url(url: str, problem: str) -> None:
    with pytest.raises(LedgerURLError, match=re.escape(f"ledger URL {url!r} {problem}")):
        persistence_env(url)


def test_a_bad_url_is_a_value_error() -> None:
    assert issubclass(LedgerURLError, ValueError)
