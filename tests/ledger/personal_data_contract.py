"""Personal data on every backend: sealed per person, erased by destroying a key, integrity unharmed."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.check import check_ledger
from audit.verify import verify_ledger
from domain.errors import GrantError, InvalidInputError
from domain.personal import (
    ERASURE_AT_END_OF_RETENTION,
    ONE_CARD,
    Beneficiary,
    BeneficiaryList,
    PayBeneficiary,
    Person,
    PersonalData,
    PersonalDataRetainedError,
    RegisterBeneficiaries,
    beneficiary_list_id,
)
from domain.values import Money
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import CheckpointSigner
from tests.builders import lifecycle, submit
from tests.ledger.integrity_contract import LedgerUnderTest, RawDatabase

PEOPLE = (  # (name, ID number with a valid check character, one-card account, category, township)
    ("张三", "430102198001011233", "6217001234567890123", "计生特殊家庭", "岳麓区莲花镇"),
    ("李四", "430102198502022344", "6217009876543210987", "独生子女伤残家庭", "岳麓区雨敞坪镇"),
    ("王五", "430103197003035679", "6217005555666677778", "独生子女死亡家庭", "望城区乔口镇"),
)
NO_RETENTION = timedelta(0)


def registration(ledger: GrantLedger, grant_no: str = "A") -> RegisterBeneficiaries:
    beneficiaries = tuple(
        Beneficiary(
            person_id=ledger.vault.person_id(id_number),
            personal=PersonalData(
                person_id=ledger.vault.person_id(id_number),
                name=name,
                id_number=id_number,
                card_account=card,
                category=category,
            ),
            township=township,
            amount=Money(1_200_00),
        )
        for name, id_number, card, category, township in PEOPLE
    )
    return RegisterBeneficiaries(grant_no=grant_no, actor="officer", beneficiaries=beneficiaries, pay_by=PAY_BY)


def payment(ledger: GrantLedger, **changes: object) -> PayBeneficiary:
    """张三's payment as the list says: his standard, by the deadline, into his own one-card."""
    fields: dict[str, object] = {
        "person_id": ledger.vault.person_id(PEOPLE[0][1]),
        "amount": Money(1_200_00),
        "paid_on": date(2020, 9, 1),
        "channel": ONE_CARD,
        "card_account": PEOPLE[0][2],
    }
    fields.update(changes)
    return PayBeneficiary(grant_no="A", actor="cashier", **fields)  # type: ignore[arg-type]


PAY_BY = date(2020, 9, 30)
BAD_PAYMENTS = [
    pytest.param({"person_id": UUID(int=7)}, "is not on the registered list", id="not on the list"),
    pytest.param({"amount": Money(1_300_00)}, "off the amount standard of 1,200.00 yuan", id="off the standard"),
    pytest.param({"paid_on": date(2020, 10, 1)}, "after the list's deadline of 2020-09-30", id="after the deadline"),
    pytest.param({"channel": "现金"}, "not the one-card system", id="in cash"),
    pytest.param({"card_account": "6217000000000000000"}, "not the one registered in their own name", id="other card"),
]


class PersonalDataContract(LedgerUnderTest):
    @pytest.fixture
    def master_key(self) -> bytes:
        return secrets.token_bytes(32)

    @pytest.fixture
    def ledger(self, ledger_url: str, key: Ed25519PrivateKey, master_key: bytes) -> Iterator[GrantLedger]:
        with open_ledger(ledger_url, CheckpointSigner(key), master_key=master_key) as opened:
            opened.execute(submit("A"))
            for command in lifecycle("A")[:3]:
                opened.execute(command)
            yield opened

    def test_registered_people_read_back_whole_with_the_master_key(self, ledger: GrantLedger) -> None:
        assert ledger.register_beneficiaries(registration(ledger)) == 3
        names = sorted(b.personal.name for b in ledger.beneficiaries("A") if isinstance(b.personal, PersonalData))
        assert names == sorted(name for name, *_ in PEOPLE)

    def test_no_personal_field_is_stored_in_the_clear(self, ledger: GrantLedger, raw: RawDatabase) -> None:
        ledger.register_beneficiaries(registration(ledger))
        stored = b"".join(bytes(state) for (state,) in raw.execute("SELECT state FROM {events}"))  # type: ignore[arg-type]
        for name, id_number, card, category, _ in PEOPLE:
            for secret in (name, id_number, card, category, id_number[-6:]):
                assert secret.encode() not in stored
                assert secret.encode("unicode_escape") not in stored

    def test_a_person_id_is_no_plain_hash_of_the_id_number(self, ledger: GrantLedger, master_key: bytes) -> None:
        """Without the master key, nobody can test ID numbers against stored person ids."""
        import hashlib  # noqa: PLC0415 - only this test needs it

        id_number = PEOPLE[0][1]
        person_id = ledger.vault.person_id(id_number)
        assert person_id.bytes != hashlib.sha256(id_number.encode()).digest()[:16]
        assert person_id.bytes != hashlib.md5(id_number.encode()).digest()  # noqa: S324 - the point of the test
        assert person_id == ledger.vault.person_id(id_number), "the same person keeps one id"

    def test_an_erased_person_is_unreadable_everywhere_and_the_ledger_still_verifies(
        self, ledger: GrantLedger, key: Ed25519PrivateKey
    ) -> None:
        ledger.register_beneficiaries(registration(ledger))
        erased = ledger.vault.person_id(PEOPLE[1][1])
        ledger.erase_person(erased, "retention period over", "auditor", NO_RETENTION)
        readable = {b.person_id: b.personal for b in ledger.beneficiaries("A")}
        assert readable[erased].__class__.__name__ == "UnreadablePersonalData"
        assert sum(isinstance(personal, PersonalData) for personal in readable.values()) == 2
        ledger.take_checkpoint("after erasure")
        report = verify_ledger(ledger, key.public_key())
        assert report.ok, report.problems

    def test_erasing_within_the_retention_period_is_refused_and_writes_nothing(self, ledger: GrantLedger) -> None:
        ledger.register_beneficiaries(registration(ledger))
        person = ledger.vault.person_id(PEOPLE[0][1])
        events_before = ledger.count_events()
        with pytest.raises(PersonalDataRetainedError, match=rf"person {person}: retention period: .* until"):
            ledger.erase_person(person, "asked by the person", "officer", timedelta(days=365 * 30))
        assert ledger.count_events() == events_before
        assert all(isinstance(b.personal, PersonalData) for b in ledger.beneficiaries("A"))

    def test_a_ledger_opened_without_the_master_key_reads_personal_data_as_sealed(
        self, ledger: GrantLedger, ledger_url: str
    ) -> None:
        ledger.register_beneficiaries(registration(ledger))
        with open_ledger(ledger_url) as reader:
            assert {getattr(b.personal, "reason", "") for b in reader.beneficiaries("A")} == {"sealed"}

    def test_a_registered_person_is_paid_their_standard_into_their_own_one_card(self, ledger: GrantLedger) -> None:
        ledger.register_beneficiaries(registration(ledger))
        before = ledger.count_events()
        ledger.pay_beneficiary(payment(ledger))
        assert ledger.count_events() == before + 1
        with pytest.raises(GrantError, match=r"R7 registered list: .* has been paid already"):
            ledger.pay_beneficiary(payment(ledger))

    @pytest.mark.parametrize(("changes", "problem"), BAD_PAYMENTS)
    def test_a_payment_off_the_registered_list_is_refused_and_writes_nothing(
        self, ledger: GrantLedger, changes: dict[str, object], problem: str
    ) -> None:
        ledger.register_beneficiaries(registration(ledger))
        before = ledger.count_events()
        with pytest.raises(GrantError, match=rf"grant A: R7 registered list: person .*{re.escape(problem)}"):
            ledger.pay_beneficiary(payment(ledger, **changes))
        assert ledger.count_events() == before

    def test_a_payment_off_the_list_written_around_the_checks_is_a_finding_on_replay(self, ledger: GrantLedger) -> None:
        """R7's detective half: a payment recorded without the preventive check (as an older system did)."""
        ledger.register_beneficiaries(registration(ledger))
        names: BeneficiaryList = ledger.repository.get(beneficiary_list_id("A"))
        person = ledger.vault.person_id(PEOPLE[1][1])
        names._paid(person, Money(1_300_00), date(2020, 10, 8), ONE_CARD, "cashier", "legacy-1")
        ledger.save(names)
        findings = [(finding.rule, finding.message) for finding in check_ledger(ledger)]
        expected = f"person {person}: the payment of 1,300.00 yuan is off the amount standard of 1,200.00 yuan"
        fix = "Fix: pay the standard; recover what was paid wrongly"
        assert findings == [("R7 registered list", f"{expected} (beneficiary list event #3). {fix}")]

    def test_registering_a_person_twice_on_one_list_is_refused(self, ledger: GrantLedger) -> None:
        ledger.register_beneficiaries(registration(ledger))
        with pytest.raises(GrantError, match="R7 registered list: 3 person"):
            ledger.register_beneficiaries(registration(ledger))

    def test_a_person_keeps_the_data_key_they_were_first_given(self, ledger: GrantLedger) -> None:
        """Keys are provided for a whole list in one transaction; a person listed again keeps their key."""
        person = ledger.vault.person_id("430102198001011233")
        ledger.vault.provide_keys([person, person])
        first = ledger.integrity.person_key(person)
        ledger.vault.provide_keys([person])
        assert first is not None
        assert ledger.integrity.keep_person_keys({person: b"another wrapped key"}) == {person: first}

    def test_an_invalid_id_number_is_refused_before_anything_is_sealed(self, ledger: GrantLedger) -> None:
        with pytest.raises(InvalidInputError, match=r"43\*+234 is not a valid resident ID"):
            PersonalData(
                person_id=ledger.vault.person_id("x"),
                name="赵六",
                id_number="430102198001011234",
                card_account="6217",
                category="",
            )

    def test_an_erasure_stored_before_it_recorded_its_legal_basis_loads_and_verifies(
        self, ledger: GrantLedger, key: Ed25519PrivateKey
    ) -> None:
        """An event stored in an older shape still loads (upcast by its class version) and still verifies."""
        ledger.register_beneficiaries(registration(ledger))
        person_id = ledger.vault.person_id(PEOPLE[2][1])
        person: Person = ledger.repository.get(person_id)
        person.erase("retention over", "auditor", person.modified_on, NO_RETENTION)
        current = ledger.mapper.to_stored_event(person.collect_events()[0])
        older = json.loads(current.state)
        assert older.pop("class_version") == 2
        del older["legal_basis"]
        version_1 = dataclasses.replace(current, state=json.dumps(older).encode())
        ledger.recorder.insert_events([version_1])  # as the ledger wrote it before version 2
        ledger.take_checkpoint("after the old erasure")

        reloaded: Person = ledger.repository.get(person_id)
        assert reloaded.erased
        assert reloaded.legal_basis == ERASURE_AT_END_OF_RETENTION
        report = verify_ledger(ledger, key.public_key())
        assert report.ok, report.problems
