"""Hypothesis strategies for hostile input, and running `grants` in-process the way a user's shell would."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date

from click.testing import CliRunner
from hypothesis import strategies as st

from cli.main import run_command_line

TEN_MB = 10 * 1024 * 1024
HOSTILE_STRINGS = (
    "",
    " ",
    "\t",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "line\nbreak",
    "\r\n",
    "\u202eevil\u202c",  # right-to-left override
    "张三 Zhang San Жанна ٤٣",  # mixed scripts
    "湘财社指〔2020〕36号",
    "'; DROP TABLE stored_events; --",
    "1' OR '1'='1",
    "../../../../etc/passwd",
    "%s%s%n",
    "{0.__class__}",
    "\ud800",  # a lone surrogate: no UTF-8 for it
    "a" * TEN_MB,
    "字" * 10_001,
)
AMOUNT_STRINGS = (
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "-0",
    "-1",
    "0",
    "0.001",
    "1e5",
    "1E+999999",
    "12345678901234567890",  # 20 digits of yuan
    "123456789012345678.90",  # 20 digits of fen
    "1.00000000000000000000000000001",  # more digits than decimal arithmetic keeps by default
    "9999999999999.99",
    "10000000000000.00",
    "10000000000000.01",
    "１２３",  # full-width digits
    "١٢٣",  # Arabic-Indic digits
    "1_000",
    "1,2,3",
    "１，２００．００",
    "0x10",
    "--1",
    " 12 ",
    "9" * 41,
    "9" * TEN_MB,
)
DATE_STRINGS = (
    "2020-02-30",
    "2020-13-01",
    "2020-06-10T00:00:00+08:00",
    "2020-06-10 25:00",
    "2020-06-10Z",
    "20200610",
    "2020-W24-3",
    "0001-01-01",
    "9999-12-31",
    "+2020-06-10",
    "2020/06/10",
    "二〇二〇年六月十日",
    "",
)

hostile_text = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=50))
amount_text = st.one_of(
    st.sampled_from(AMOUNT_STRINGS),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**22), 10**22).map(str),
    st.floats().map(repr),
    st.text(alphabet="0123456789.,-+eE _", max_size=30),
)
date_text = st.one_of(st.sampled_from(DATE_STRINGS), st.dates().map(date.isoformat), st.text(max_size=20))


def id_number(body: str) -> str:
    """A resident ID number with a correct check character for its 17-digit `body` (GB 11643)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


valid_id_numbers = st.text(alphabet="0123456789", min_size=17, max_size=17).map(id_number)
hostile_id_numbers = st.one_of(
    valid_id_numbers,
    valid_id_numbers.map(str.lower),
    valid_id_numbers.map(lambda n: n[:-1] + ("0" if n[-1] != "0" else "1")),  # wrong check character
    valid_id_numbers.map(lambda n: n.translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
    valid_id_numbers.map(lambda n: f" {n}\n"),
    st.sampled_from(HOSTILE_STRINGS[:16]),
)


@dataclass(frozen=True)
class Ran:
    """What a user sees of one `grants` command."""

    status: int
    stdout: str
    stderr: str

    @property
    def one_line_error(self) -> bool:
        lines = self.stderr.strip().splitlines()
        return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in self.stderr


def grants(env: dict[str, str], *args: str) -> Ran:
    with CliRunner().isolation(env=env) as (out, err, _):
        status = run_command_line(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        return Ran(status, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace"))
