"""Schemathesis against the published OpenAPI: generated requests never make a 500, and every refusal is well-formed.

A bounded number of examples per operation keeps it under a minute. Hypothesis generates in a thread; each request
is sent on the test's own event loop (where the app, the worker and the Temporal client live), so nothing crosses
event loops.
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

from tests.api.conftest import BASE_URL, bearer

EXAMPLES_PER_OPERATION = 4
NOT_GENERATED = {
    # Signing out would end the session the other calls use (tests/api/test_security.py covers it).
    "/api/tokens/current",
    # `grants stuck` asks every running workflow of the session's shared dev server for its status; the workers of
    # earlier tests are gone, so each query waits out its 10 s timeout (tests/workflows covers find_stuck).
    "/api/stuck",
}
HTTPX_ARGUMENTS = ("method", "url", "params", "headers", "cookies", "json")


def as_upload(value: Any) -> Any:
    """A generated multipart part as httpx sends it: generated scalars become bytes (requests would stringify them)."""
    if isinstance(value, tuple):
        filename, content, *rest = value
        return (filename, as_upload(content), *rest)
    return value if isinstance(value, bytes | str) else str(value).encode()


async def send(http: httpx.AsyncClient, case: Any, headers: dict[str, str]) -> httpx.Response:
    """A generated case as an httpx request (schemathesis serialises it the way `requests` takes it)."""
    serialised = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    arguments = {key: value for key, value in serialised.items() if key in HTTPX_ARGUMENTS}
    files = serialised.get("files")
    if files:
        parts = files.items() if isinstance(files, dict) else files
        arguments["files"] = [(name, as_upload(value)) for name, value in parts]
    data = serialised.get("data")
    if isinstance(data, bytes | str):
        arguments["content"] = data
    elif data is not None:
        arguments["data"] = data
    request = http.build_request(**arguments)
    await request.aread()  # a multipart body, read once, stays readable for the response checks
    return await http.send(request)


def exercise(app: FastAPI, call: Any) -> Counter[int]:
    """Call every operation with generated input; return how many answers of each status came back."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in NOT_GENERATED:
            continue

        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = call(case)
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
    loop = asyncio.get_running_loop()

    def call(case: Any) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(send(http, case, headers), loop).result(timeout=60)

    statuses = await asyncio.to_thread(exercise, app, call)

    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[422] > 0, "invalid input was generated and refused"
    assert statuses[404] > 0, "valid steps on unknown grants went through Temporal to the ledger, which said so"
