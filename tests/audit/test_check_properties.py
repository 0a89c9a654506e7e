"""Property-based: the detective half (`grants audit check`) agrees with the preventive half on whole lifecycles.

A valid lifecycle leaves no finding, whether it was recorded through the ledger or imported as a history made
elsewhere; a lifecycle with one mutation is refused by the ledger with the rule it breaks, and the same history,
imported unchecked, is found breaking that rule on replay.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.check import check_ledger
from domain.errors import GrantError
from domain.personal import PayBeneficiary, RegisterBeneficiaries
from ledger.application import GrantLedger
from ledger.history_import import parse_history
from tests.lifecycles import APPLIED_AT, Lifecycle, history_lines, refused_rule
from tests.strategies import MUTATIONS, lifecycles, mutations

IN_MEMORY = {
    "PERSISTENCE_MODULE": "eventsourcing.sqlite",
    "APPLICATION_RECORDER_TOPIC": "ledger.recorders:ChainedSQLiteApplicationRecorder",
    "SQLITE_DBNAME": ":memory:",
}


@contextmanager
def fresh_ledger() -> Iterator[GrantLedger]:
    """A ledger in memory (with its hash chain and the keys of personal data), one per example."""
    ledger = GrantLedger(env=IN_MEMORY, master_key=secrets.token_bytes(32))
    try:
        yield ledger
    finally:
        ledger.close()


def run_in_ledger(ledger: GrantLedger, lifecycle: Lifecycle) -> None:
    """The lifecycle recorded through a ledger (opened with the master key): people get the ids its vault derives."""

    def person_id(test_id: UUID) -> UUID:
        return ledger.vault.person_id(lifecycle.id_numbers[test_id])

    for minutes in lifecycle.decisions:
        ledger.record_decision(minutes)
    ledger.execute(lifecycle.application, APPLIED_AT)
    for at, step in lifecycle.timed():
        if isinstance(step, RegisterBeneficiaries):
            ledger.register_beneficiaries(_reidentified(step, person_id))
        elif isinstance(step, PayBeneficiary):
            ledger.pay_beneficiary(replace(step, person_id=person_id(step.person_id)))
        else:
            ledger.execute(step, at)


def _reidentified(step: RegisterBeneficiaries, person_id: Callable[[UUID], UUID]) -> RegisterBeneficiaries:
    listed = []
    for beneficiary in step.beneficiaries:
        new_id = person_id(beneficiary.person_id)
        personal = replace(beneficiary.personal, person_id=new_id)  # type: ignore[type-var]
        listed.append(replace(beneficiary, person_id=new_id, personal=personal))
    return replace(step, beneficiaries=tuple(listed))


def imported(ledger: GrantLedger, lifecycle: Lifecycle) -> GrantLedger:
    ledger.import_history(parse_history(history_lines(lifecycle), "lifecycle.jsonl"))
    return ledger


@settings(max_examples=40, deadline=None)
@given(lifecycles())
def test_every_valid_lifecycle_leaves_no_finding_recorded_or_imported(lifecycle: Lifecycle) -> None:
    with fresh_ledger() as ledger:
        run_in_ledger(ledger, lifecycle)
        assert check_ledger(ledger) == []
    with fresh_ledger() as ledger:
        assert check_ledger(imported(ledger, lifecycle)) == []


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_a_single_mutation_is_refused_when_recorded_and_found_when_imported(kind: str, data: st.DataObject) -> None:
    """Every kind of mutation, each time (where it falls, and how, drawn at random)."""
    mutation = data.draw(mutations(kinds=(kind,)))
    with fresh_ledger() as ledger, pytest.raises(GrantError) as refused:
        run_in_ledger(ledger, mutation.lifecycle)
    assert refused_rule(refused.value) == mutation.rule, f"{mutation.what}: {refused.value}"
    with fresh_ledger() as ledger:
        found = {finding.rule for finding in check_ledger(imported(ledger, mutation.lifecycle))}
    assert mutation.rule in found, f"{mutation.what}: found {sorted(found)}"
