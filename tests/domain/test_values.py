from __future__ import annotations

import re
from decimal import Decimal

import pytest

from domain.errors import InvalidInputError
from domain.values import Money, Points


class TestMoneyParsing:
    @pytest.mark.parametrize(
        ("text", "fen"),
        [
            ("1200000.00", 1_200_000_00),
            ("1,200,000", 1_200_000_00),
            ("1，200，000.50", 1_200_000_50),
            ("  36.9 ", 36_90),
            ("0.01", 1),
            ("51660000", 5_166_000_000),
            ("-1.50", -150),
        ],
    )
    def test_an_amount_typed_in_yuan_is_parsed_to_the_fen(self, text: str, fen: int) -> None:
        assert Money.parse_yuan(text) == Money(fen)

    def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded(self) -> None:
        with pytest.raises(InvalidInputError, match=re.escape("'1.234' has more than two decimals")):
            Money.parse_yuan("1.234")

    @pytest.mark.parametrize("text", ["abc", "", "1.2.3", "一百"])
    def test_text_that_is_not_a_number_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidInputError, match="is not a number of yuan"):
            Money.parse_yuan(text)

    @pytest.mark.parametrize("text", ["inf", "-Infinity", "NaN"])
    def test_infinite_and_not_a_number_amounts_are_refused(self, text: str) -> None:
        with pytest.raises(InvalidInputError):
            Money.parse_yuan(text)

    def test_a_signalling_nan_is_refused_as_invalid_input(self) -> None:
        with pytest.raises(InvalidInputError):
            Money.parse_yuan("sNaN")

    @pytest.mark.parametrize("fen", [12.5, 12.0, Decimal(12), "12", True, None])
    def test_money_is_never_built_from_anything_but_an_integer_number_of_fen(self, fen: object) -> None:
        with pytest.raises(InvalidInputError, match="money must be an integer number of fen"):
            Money(fen)  # type: ignore[arg-type]


class TestMoneyFormatting:
    @pytest.mark.parametrize(
        ("fen", "text"),
        [
            (0, "0.00"),
            (1, "0.01"),
            (1_200_000_00, "1,200,000.00"),
            (5_166_000_000, "51,660,000.00"),
            (-150, "-1.50"),
            (-1, "-0.01"),
            (-1_234_567_89, "-1,234,567.89"),
        ],
    )
    def test_yuan_shows_thousands_separators_and_two_decimals(self, fen: int, text: str) -> None:
        assert Money(fen).yuan() == text

    def test_str_says_yuan(self) -> None:
        assert str(Money(36_90)) == "36.90 yuan"

    @pytest.mark.parametrize("fen", [0, 1, -1, 99, 100, 1_200_000_00, -5_166_000_000])
    def test_the_formatted_amount_parses_back_to_the_same_money(self, fen: int) -> None:
        assert Money.parse_yuan(Money(fen).yuan()) == Money(fen)


class TestMoneyArithmetic:
    def test_money_adds_subtracts_and_compares_in_fen(self) -> None:
        assert Money(150) + Money(1) == Money(151)
        assert Money(150) - Money(151) == Money(-1)
        assert Money(1) < Money(2) <= Money(2)
        assert max(Money(3), Money(30), Money(-300)) == Money(30)

    def test_only_more_than_zero_is_positive(self) -> None:
        assert Money(1).is_positive
        assert not Money.zero().is_positive
        assert not Money(-1).is_positive


class TestPoints:
    @pytest.mark.parametrize(
        ("text", "tenths"),
        [("98.6", 986), ("98.6%", 986), (" 98.6 % ", 986), ("100", 1000), ("0", 0), ("60", 600), ("7.0", 70)],
    )
    def test_a_figure_with_at_most_one_decimal_is_parsed_to_tenths(self, text: str, tenths: int) -> None:
        assert Points.parse(text) == Points(tenths)

    def test_a_figure_with_two_decimals_is_refused(self) -> None:
        with pytest.raises(InvalidInputError, match=re.escape("'98.66' has more than one decimal")):
            Points.parse("98.66")

    @pytest.mark.parametrize("text", ["101", "100.1", "-0.1", "-5"])
    def test_a_figure_outside_0_to_100_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidInputError, match="is outside 0-100"):
            Points.parse(text)

    @pytest.mark.parametrize("text", ["abc", "", "%", "NaN", "inf"])
    def test_text_that_is_not_a_figure_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidInputError):
            Points.parse(text)

    def test_a_signalling_nan_figure_is_refused_as_invalid_input(self) -> None:
        with pytest.raises(InvalidInputError):
            Points.parse("sNaN")

    @pytest.mark.parametrize("tenths", [98.6, True, "986"])
    def test_points_are_never_built_from_anything_but_an_integer_number_of_tenths(self, tenths: object) -> None:
        with pytest.raises(InvalidInputError, match="integer number of tenths"):
            Points(tenths)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("tenths", "text"), [(986, "98.6"), (1000, "100.0"), (0, "0.0"), (5, "0.5")])
    def test_str_shows_one_decimal(self, tenths: int, text: str) -> None:
        assert str(Points(tenths)) == text
