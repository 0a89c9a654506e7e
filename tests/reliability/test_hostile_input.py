"""Hostile input at every door: each value is refused with one clear line and nothing written, or accepted and
kept exactly; no traceback reaches a user (exit 2 for what the user must fix, 1 for a system failure).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import fields, replace
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from temporalio.client import Client

from cli.gateway import GrantGateway, GrantRefusedError
from domain.commands import ApplicationDetails, RecordDisbursement
from domain.errors import InvalidInputError
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import ensure_signing_key
from ledger.personal_data import ensure_master_key, load_master_key
from ledger.settings import default_ledger_url
from tests.builders import HALF, details, disburse, notice, submit
from tests.reliability.hostile import (
    amount_text,
    date_text,
    grants,
    hostile_id_numbers,
    hostile_text,
)
from tests.reliability.processes import free_port
from tests.reliability.support import terminate
from tests.workflows.support import new_grant_no, run_until
from workflows.converter import DATA_CONVERTER

T = TypeVar("T")
HOSTILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MAX_MESSAGE = 600  # characters: a refusal is a sentence, never the input echoed back whole


def exact_fen(text: str) -> int | None:
    """What `text` means in fen, computed independently with ample precision (None: not a finite number)."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        with localcontext(prec=1000):
            value = Decimal(cleaned) * 100
    except (InvalidOperation, ValueError):
        return None
    return int(value) if value.is_finite() and value == value.to_integral_value() else None


def built_or_refused(build: Callable[[], T]) -> T | None:
    """What `build` returns, or None when it refuses; a refusal is one short line."""
    try:
        return build()
    except InvalidInputError as refusal:
        message = str(refusal)
    assert "\n" not in message
    assert len(message) < MAX_MESSAGE, message[:200]
    return None


def round_trips_through_temporal(command: object) -> bool:
    converter = DATA_CONVERTER.payload_converter
    (decoded,) = converter.from_payloads(converter.to_payloads([command]), [type(command)])
    return bool(decoded == command)


@HOSTILE
@given(text=amount_text)
def test_an_amount_is_refused_in_one_line_or_parsed_to_the_exact_fen(text: str) -> None:
    money = built_or_refused(lambda: Money.parse_yuan(text))
    if money is None:
        return
    assert money.fen == exact_fen(text), f"{text!r} parsed to {money.fen} fen"
    assert Money.parse_yuan(money.yuan()) == money


@HOSTILE
@given(text=hostile_text, day=st.dates(), fen=st.integers(-(10**20), 10**20))
def test_a_payment_is_refused_in_one_line_or_kept_exactly_through_temporal(text: str, day: object, fen: int) -> None:
    payment = built_or_refused(
        lambda: RecordDisbursement(
            grant_no="HN-2020-ZX-0036", actor=text, amount=Money(fen), paid_on=day, payee=text, voucher=text
        )
    )
    if payment is None:
        return
    assert round_trips_through_temporal(payment)
    assert 0 < payment.amount.fen <= 10**15


@HOSTILE
@given(text=hostile_text, region=hostile_text, day=st.dates())
def test_an_application_or_notice_is_refused_in_one_line_or_kept_exactly(text: str, region: str, day: object) -> None:
    for build in (
        lambda: ApplicationDetails(**{**vars(details()), "recipient": text, "region": region, "period_end": day}),
        lambda: replace(notice(), document_no=text, issuer=text, issued_on=day),
    ):
        command = built_or_refused(build)
        assert command is None or round_trips_through_temporal(command)


@pytest.fixture(scope="module")
def shared_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrantLedger]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'ledger.sqlite'}"
    with open_ledger(url) as ledger:
        yield ledger


@settings(max_examples=30, deadline=None)
@given(text=hostile_text)
def test_accepted_text_comes_back_from_the_ledger_exactly(shared_ledger: GrantLedger, text: str) -> None:
    grant_no = new_grant_no()
    try:
        application = submit(grant_no, recipient=text, title=text)
    except InvalidInputError:
        return
    shared_ledger.execute(application)
    (submitted,) = shared_ledger.history(grant_no)
    assert submitted.fields["details"] == application.details


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose Temporal address answers nothing: an accepted step fails to send, as a system failure."""
    data_dir = tmp_path_factory.mktemp("cli")
    return {"GRANTS_DATA_DIR": str(data_dir), "GRANTS_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}


@settings(max_examples=40, deadline=None)
@given(grant_no=hostile_text, amount=amount_text, paid_on=date_text, payee=hostile_text)
def test_step_arguments_are_refused_in_one_line_before_anything_is_sent(
    no_stack: dict[str, str], grant_no: str, amount: str, paid_on: str, payee: str
) -> None:
    args = ["disburse", grant_no, "--amount", amount, "--paid-on", paid_on, "--payee", payee]
    ran = grants(no_stack, *args)
    event(f"exit status {ran.status}")
    assert ran.one_line_error, ran
    assert ran.stdout == ""
    if ran.status == 1:  # every value was good: only the missing stack stopped it
        assert "cannot reach Temporal" in ran.stderr, ran
    else:
        assert ran.status == 2, ran
    assert not (Path(no_stack["GRANTS_DATA_DIR"]) / "ledger.sqlite").exists(), "nothing written"


def test_an_unreadable_ledger_is_a_system_failure_in_one_line(tmp_path: Path) -> None:
    not_a_database = tmp_path / "ledger.sqlite"
    not_a_database.write_bytes(b"this is not a database" * 100)
    ran = grants({"GRANTS_LEDGER_URL": f"sqlite:///{not_a_database}"}, "status", "HN-2020-ZX-0036")
    assert ran.status == 1, ran
    assert ran.one_line_error, ran
    assert "the ledger's database is unavailable" in ran.stderr


# --- beneficiary lists (CSV) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def list_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("lists")
    ensure_master_key(data_dir / "master.key")
    return {"GRANTS_DATA_DIR": str(data_dir)}


def ledger_of(env: dict[str, str]) -> AbstractContextManager[GrantLedger]:
    data_dir = Path(env["GRANTS_DATA_DIR"])
    return open_ledger(default_ledger_url(data_dir), master_key=load_master_key(data_dir / "master.key"))


row = st.fixed_dictionaries(
    {
        "name": hostile_text,
        "id_number": hostile_id_numbers,
        "card_account": st.one_of(st.just("6217000000000001"), hostile_text),
        "category": st.just("计生特殊家庭"),
        "township": hostile_text,
        "amount": amount_text,
    }
)


def csv_bytes(rows: list[dict[str, str]], encoding: str) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]) if rows else ["name"])
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode(encoding, errors="surrogateescape" if encoding == "utf-8" else "replace")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(row, max_size=4).flatmap(lambda rs: st.just(rs + rs[:1]) | st.just(rs)),  # sometimes a twin row
    encoding=st.sampled_from(["utf-8", "utf-8", "gb18030"]),
)
def test_a_beneficiary_file_is_refused_whole_in_one_line_or_registered_exactly(
    list_env: dict[str, str], tmp_path: Path, rows: list[dict[str, str]], encoding: str
) -> None:
    grant_no = new_grant_no()
    with ledger_of(list_env) as ledger:
        ledger.execute(submit(grant_no))
        before = ledger.count_events()
    list_file = tmp_path / f"{grant_no}.csv"
    try:
        list_file.write_bytes(csv_bytes(rows, encoding))
    except UnicodeEncodeError:
        return  # a lone surrogate cannot even be written to a file
    ran = grants(list_env, "beneficiaries", "register", grant_no, "--file", str(list_file))
    event(f"exit status {ran.status}")

    with ledger_of(list_env) as ledger:
        if ran.status != 0:
            assert ran.status == 2, ran
            assert ran.one_line_error, ran
            assert ledger.count_events() == before, "a refused file registers nobody"
            return
        people = ledger.beneficiaries(grant_no)
    registered = {(p.personal.name, p.personal.id_number, p.township, p.amount) for p in people}  # type: ignore[union-attr]
    expected = {
        (r["name"].strip(), r["id_number"].strip().upper(), r["township"].strip(), Money.parse_yuan(r["amount"]))
        for r in rows
    }
    assert registered == expected
    assert len(registered) == len(rows), "a twin row is refused, never registered twice"


# --- files the CLI writes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["out/../checkpoint.txt", "../escape/checkpoint.txt", "no-such-dir/checkpoint.txt", ".", "/proc/version", ""],
)
def test_an_export_path_is_written_exactly_where_named_or_refused_in_one_line(tmp_path: Path, target: str) -> None:
    (tmp_path / "out").mkdir()
    key = tmp_path / "key.pem"
    ensure_signing_key(key)
    env = {"GRANTS_DATA_DIR": str(tmp_path), "GRANTS_SIGNING_KEY_FILE": str(key)}
    work = tmp_path / "out"
    before = set(tmp_path.rglob("*"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        ran = grants(env, "ledger", "checkpoint", "--export", target)
    created = {p for p in set(tmp_path.rglob("*")) - before if not p.name.startswith("ledger.sqlite")}
    if ran.status == 0:
        assert created == {(work / target).resolve()}, "written exactly where named, nowhere else"
        assert f"written to {target}" in ran.stdout
    else:
        assert ran.status == 2, ran
        assert ran.one_line_error, ran
        assert not created, "a refused export writes nothing"


# --- update payloads that skip the constructors --------------------------------------------------


async def test_an_update_payload_that_skips_validation_is_refused_by_the_worker_and_writes_nothing(
    gateway: GrantGateway, ledger: GrantLedger, client: Client
) -> None:
    grant_no = new_grant_no()
    await run_until(gateway, grant_no, steps=3)
    forged = object.__new__(RecordDisbursement)
    for field in fields(RecordDisbursement):
        object.__setattr__(forged, field.name, getattr(disburse(HALF, grant_no=grant_no), field.name))
    object.__setattr__(forged, "payee", "\x00" * 3)
    object.__setattr__(forged, "amount", Money(-(10**20)))
    before = len(ledger.history(grant_no))
    with pytest.raises(GrantRefusedError) as refused:
        await gateway.record(forged)
    assert "\n" not in str(refused.value)
    assert len(ledger.history(grant_no)) == before
    assert (await gateway.record(disburse(HALF, grant_no=grant_no))).disbursed == HALF, "the grant goes on"
    await terminate(client, [grant_no])
