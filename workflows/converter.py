"""Temporal's JSON payloads, extended with `datetime.date` (the SDK handles only `datetime`).

Client and worker must use the same converter: build both with `DATA_CONVERTER`.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
)


class DateJSONEncoder(AdvancedJSONEncoder):
    def default(self, o: Any) -> Any:  # noqa: ANN401 - the JSONEncoder protocol
        if isinstance(o, date) and not isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class DateTypeConverter(JSONTypeConverter):
    def to_typed_value(self, hint: type, value: Any) -> Any:  # noqa: ANN401 - the SDK's protocol
        if hint is date and isinstance(value, str):
            return date.fromisoformat(value)
        return JSONTypeConverter.Unhandled


class GrantPayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        json_converter = JSONPlainPayloadConverter(
            encoder=DateJSONEncoder, custom_type_converters=[DateTypeConverter()]
        )
        super().__init__(
            *(
                json_converter if isinstance(converter, JSONPlainPayloadConverter) else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = dataclasses.replace(DataConverter.default, payload_converter_class=GrantPayloadConverter)
