"""Schemathesis against the published OpenAPI: generated requests never make a 500, and every refusal is well-formed.

A bounded number of examples per operation keeps it under a minute. The requests run in a thread (through
schemathesis's ASGI client), so that the worker keeps running in the test's event loop meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import bearer

EXAMPLES_PER_OPERATION = 4


def exercise(app: FastAPI, headers: dict[str, str]) -> Counter[int]:
    """Call every operation with generated input; return how many answers of each status came back."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/tokens/current":
            continue  # signing out would end the session the other calls use (tests/api/test_security.py covers it)

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400 and response.status_code != 422:
                body = response.json()
                assert isinstance(body["detail"], str), f"{case.operation.label}: {body}"
                assert body["detail"], f"{case.operation.label}: an empty refusal"

        check()
    return statuses


async def test_generated_requests_never_fail_with_a_server_error(app: FastAPI, http: httpx.AsyncClient) -> None:
    headers = await bearer(http, "wang.officer")

    statuses = await asyncio.to_thread(exercise, app, headers)

    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[422] > 0, "invalid input was generated and refused"
    assert statuses[404] > 0, "valid steps on unknown grants went through Temporal to the ledger, which said so"
    assert sum(statuses.values()) >= EXAMPLES_PER_OPERATION
