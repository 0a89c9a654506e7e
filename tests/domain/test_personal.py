"""Beneficiary lists: what a registration must hold, and what may be published."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import InvalidInputError
from domain.personal import Beneficiary, RegisterBeneficiaries, UnreadablePersonalData, mask_id_number
from domain.values import Money


def test_a_person_is_registered_with_their_personal_data_not_without_it() -> None:
    person = UUID(int=1)
    unreadable = Beneficiary(
        person_id=person, personal=UnreadablePersonalData(person, "erased"), township="莲花镇", amount=Money(1)
    )
    with pytest.raises(InvalidInputError, match="registered with each person's personal data"):
        RegisterBeneficiaries(grant_no="A", actor="officer", beneficiaries=(unreadable,))


def test_a_published_id_number_keeps_only_its_first_two_and_last_three_characters() -> None:
    assert mask_id_number("430102198001011233") == "43*************233"
