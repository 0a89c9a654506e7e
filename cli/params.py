"""click parameter types that parse what officers type: yuan, dates and 0-100 figures."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from domain.errors import InvalidInputError
from domain.values import Money, Points


class YuanType(click.ParamType[Money, Any]):
    name = "yuan"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Money:  # noqa: ANN401
        if isinstance(value, Money):
            return value
        try:
            return Money.parse_yuan(str(value))
        except InvalidInputError as error:
            self.fail(str(error), param, ctx)


class DateType(click.ParamType[date, Any]):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:  # noqa: ANN401
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date; write it like 2020-06-30", param, ctx)


class PointsType(click.ParamType[Points, Any]):
    name = "0-100"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Points:  # noqa: ANN401
        if isinstance(value, Points):
            return value
        try:
            return Points.parse(str(value))
        except InvalidInputError as error:
            self.fail(str(error), param, ctx)


YUAN = YuanType()
DATE = DateType()
POINTS = PointsType()
