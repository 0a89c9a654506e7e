"""Value objects: money in integer fen and 0-100 figures with one decimal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from domain.errors import InvalidInputError

FEN_PER_YUAN = 100
# 10 trillion yuan: far above any grant, so a larger amount is a typo; it also keeps every amount within the
# 64-bit integers that Temporal's search attributes (GrantAmountFen) and PostgreSQL's bigint hold.
MAX_FEN = 10**15
# Characters of a typed amount: "10,000,000,000,000.00" needs 21; longer text is no amount (and decimal
# arithmetic beyond 28 digits would round it silently).
MAX_AMOUNT_CHARACTERS = 40


def _finite_decimal(text: str) -> Decimal | None:
    """`text` as a finite decimal, or None: NaN and Infinity parse as decimals, but are no amounts."""
    if len(text) > MAX_AMOUNT_CHARACTERS:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    # An exponent beyond what a typed amount can have (1E+999999) would overflow the arithmetic below.
    return value if value.is_finite() and value.adjusted() <= MAX_AMOUNT_CHARACTERS else None


def shown(text: str) -> str:
    """`text` quoted for an error message, cut short: a 10 MB paste must not become a 10 MB message."""
    return (
        repr(text)
        if len(text) <= MAX_AMOUNT_CHARACTERS
        else f"{text[:MAX_AMOUNT_CHARACTERS]!r}... ({len(text):,} characters)"
    )


def _exactly(value: Decimal, factor: int) -> Decimal:
    """`value * factor` without rounding: the default context keeps 28 digits and would round silently."""
    with localcontext(prec=2 * MAX_AMOUNT_CHARACTERS):
        return value * factor


@dataclass(frozen=True, order=True)
class Money:
    """An amount of CNY in integer fen (分); floats never touch money."""

    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            msg = f"money must be an integer number of fen, got {self.fen!r}"
            raise InvalidInputError(msg)

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def parse_yuan(cls, text: str) -> Money:
        """Parse an amount typed in yuan (`1200000.00`, `1,200,000`), to the fen, never rounding."""
        cleaned = text.strip().replace(",", "").replace("，", "")
        yuan = _finite_decimal(cleaned)
        if yuan is None:
            msg = f"amount {shown(text)} is not a number of yuan; write it like 1200000.00"
            raise InvalidInputError(msg)
        fen = _exactly(yuan, FEN_PER_YUAN)
        if fen != fen.to_integral_value():
            msg = f"amount {shown(text)} has more than two decimals; yuan are counted to the fen (0.01)"
            raise InvalidInputError(msg)
        if abs(fen) > MAX_FEN:
            msg = f"amount {shown(text)} is more than any grant ({cls(MAX_FEN)} at most)"
            raise InvalidInputError(msg)
        return cls(int(fen))

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    @property
    def is_positive(self) -> bool:
        return self.fen > 0

    def yuan(self) -> str:
        """The amount in yuan with thousands separators, as people in a finance office read it."""
        sign = "-" if self.fen < 0 else ""
        whole, cents = divmod(abs(self.fen), FEN_PER_YUAN)
        return f"{sign}{whole:,}.{cents:02d}"

    def __str__(self) -> str:
        return f"{self.yuan()} yuan"


@dataclass(frozen=True, order=True)
class Points:
    """A figure from 0 to 100 with one decimal (a score, a percentage), kept in tenths."""

    tenths: int

    def __post_init__(self) -> None:
        if isinstance(self.tenths, bool) or not isinstance(self.tenths, int):
            msg = f"points must be an integer number of tenths, got {self.tenths!r}"
            raise InvalidInputError(msg)
        if not 0 <= self.tenths <= 1000:
            msg = f"{self.tenths / 10} is outside 0-100"
            raise InvalidInputError(msg)

    @classmethod
    def parse(cls, text: str) -> Points:
        """Parse `98.6` or `98.6%`; at most one decimal."""
        cleaned = text.strip().rstrip("%").strip()
        value = _finite_decimal(cleaned)
        if value is None:
            msg = f"{shown(text)} is not a number from 0 to 100 (like 98.6)"
            raise InvalidInputError(msg)
        tenths = _exactly(value, 10)
        if not 0 <= tenths <= 1000:
            msg = f"{shown(text)} is outside 0-100"
            raise InvalidInputError(msg)
        if tenths != tenths.to_integral_value():
            msg = f"{shown(text)} has more than one decimal; write it like 98.6"
            raise InvalidInputError(msg)
        return cls(int(tenths))

    def __str__(self) -> str:
        whole, tenth = divmod(self.tenths, 10)
        return f"{whole}.{tenth}"
