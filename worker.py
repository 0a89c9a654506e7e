"""The worker: the composition root that binds GrantLifecycle and the ledger activities to one Temporal client.

Run it with `grants worker` (or inside `grants up`). Workers are stateless: any number of them may poll one task
queue. SIGINT or SIGTERM makes it stop polling, lets the activities in flight finish (GRANTS_SHUTDOWN_GRACE),
and exit 0. With GRANTS_WORKER_HTTP_ADDRESS it serves /healthz (alive), /readyz (connected and polling) and
/metrics (ours: events appended, refusals by rule, activity failures); with GRANTS_TEMPORAL_METRICS_ADDRESS
the Temporal SDK serves its own Prometheus metrics on a port of their own.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import structlog
from eventsourcing.persistence import Recording
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from activities.ledger_activities import LedgerActivities
from cli.rules_file import load_rules
from cli.settings import Settings
from domain.commands import GrantCommand
from domain.errors import GrantRuleViolation
from domain.state import GrantState
from ledger.application import GrantLedger, open_ledger
from ledger.checkpoints import CheckpointSigner, load_signing_key
from workflows.converter import DATA_CONVERTER
from workflows.grant_lifecycle import GrantLifecycle

ACTIVITY_THREADS = 8  # the ledger is synchronous: its activities run on this many threads
GRACEFUL_SHUTDOWN = timedelta(seconds=10)

log = structlog.get_logger(__name__)

METRICS = CollectorRegistry()
EVENTS_APPENDED = Counter(
    "grants_ledger_events_appended", "Events this worker appended to the ledger", registry=METRICS
)
RULE_REFUSALS = Counter(
    "grants_rule_refusals",
    "Steps the ledger refused, by rule (`R2 amounts`; other refusals by kind)",
    ["rule"],
    registry=METRICS,
)
ACTIVITY_FAILURES = Counter(
    "grants_activity_failures",
    "Activity attempts that failed for a reason other than a refusal (Temporal retries them)",
    ["activity"],
    registry=METRICS,
)


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS as Temporal Cloud and self-hosted clusters use it, from the files configured; False for none."""
    if not settings.temporal_tls:
        return False

    def read(path: Path | None) -> bytes | None:
        return None if path is None else path.read_bytes()

    return TLSConfig(
        client_cert=read(settings.temporal_tls_cert_file),
        client_private_key=read(settings.temporal_tls_key_file),
        server_root_ca_cert=read(settings.temporal_tls_ca_file),
        domain=settings.temporal_tls_server_name,
    )


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """The one way anything here connects to Temporal: address, namespace, TLS and our data converter."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        tls=tls_config(settings),
        runtime=runtime,
    )


def temporal_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime that serves the SDK's Prometheus metrics, when an address is configured."""
    if settings.temporal_metrics_address is None:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=settings.temporal_metrics_address)))


class MeteredGrantLedger(GrantLedger):
    """The worker's ledger: it counts the events it appends."""

    name = GrantLedger.name  # eventsourcing names the tables after the application: the same book

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:  # noqa: ANN401 - eventsourcing's signature
        recordings: list[Recording[Any]] = super().save(*objs, **kwargs)
        EVENTS_APPENDED.inc(len(recordings))
        return recordings


class ObservedActivities(Interceptor):
    """Binds who and what to every log line of an activity, and counts refusals and failures."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ObservedActivity(next)


class _ObservedActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:  # noqa: ANN401 - Temporal's API
        info = activity.info()
        command = next((arg for arg in input.args if isinstance(arg, GrantCommand)), None)
        context: dict[str, object] = {"workflow_id": info.workflow_id, "activity": info.activity_type}
        if command is not None:
            context |= {"grant_no": command.grant_no, "actor": command.actor}
        with structlog.contextvars.bound_contextvars(**context):
            try:
                result = await self.next.execute_activity(input)
            except ApplicationError as failure:
                if failure.non_retryable:
                    RULE_REFUSALS.labels(rule_of(failure)).inc()
                else:
                    ACTIVITY_FAILURES.labels(info.activity_type).inc()
                raise
            except Exception:
                ACTIVITY_FAILURES.labels(info.activity_type).inc()
                raise
            if isinstance(result, GrantState):
                log.info("activity.completed", stage=result.stage.value, attempt=info.attempt)
            return result


def rule_of(refusal: ApplicationError) -> str:
    """The rule a refusal enforced (`R2 amounts`), or the kind of refusal (`GrantNotFoundError`)."""
    cause = refusal.__cause__
    return cause.rule if isinstance(cause, GrantRuleViolation) else refusal.type or "other"


class Health:
    """What the HTTP endpoints report: alive until the worker fails, ready while it polls."""

    def __init__(self) -> None:
        self.ready = False
        self.failed = False


@contextmanager
def http_endpoints(address: str | None, health: Health) -> Iterator[None]:
    """Serve /healthz, /readyz and /metrics on `address` (HOST:PORT) while the block runs; nothing if None."""
    if address is None:
        yield
        return
    host, _, port = address.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._answer(200, generate_latest(METRICS), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                self._answer(503 if health.failed else 200, b"failed\n" if health.failed else b"ok\n")
            elif self.path == "/readyz":
                self._answer(200 if health.ready else 503, b"ready\n" if health.ready else b"not polling\n")
            else:
                self._answer(404, b"not found\n")

        def _answer(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, int(port)), Handler)
    thread = threading.Thread(target=server.serve_forever, name="worker-http", daemon=True)
    thread.start()
    log.info("worker.http", address=address, paths=["/healthz", "/readyz", "/metrics"])
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def build_worker(  # noqa: PLR0913 - what it runs on, and how it stops and is observed
    client: Client,
    ledger: GrantLedger,
    executor: ThreadPoolExecutor,
    task_queue: str,
    *,
    graceful_shutdown: timedelta = GRACEFUL_SHUTDOWN,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[GrantLifecycle],
        activities=LedgerActivities(ledger).all(),
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        graceful_shutdown_timeout=graceful_shutdown,
        interceptors=interceptors,
    )


async def serve(settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    """Run a worker until `stop` is set, then stop polling, finish the activities in flight and return."""
    health = Health()
    with http_endpoints(settings.worker_http_address, health):
        client = await connect(settings, temporal_runtime(settings))
        signer = CheckpointSigner(load_signing_key(settings.signing_key_file))
        rules = load_rules(settings.rules_file)
        with (
            open_ledger(
                settings.ledger_url,
                signer,
                settings.checkpoint_every,
                fund_rules=rules.fund_rules,
                pool_size=settings.ledger_pool_size,
                ledger_type=MeteredGrantLedger,
            ) as ledger,
            ThreadPoolExecutor(ACTIVITY_THREADS) as executor,
        ):
            if ledger.adopt_rules(rules.funding_body, actor=f"worker ({settings.rules_file or 'default rules'})"):
                log.info("ledger.rules_adopted", funding_body=rules.funding_body, rules=str(rules.fund_rules))
            worker = build_worker(
                client,
                ledger,
                executor,
                settings.task_queue,
                graceful_shutdown=timedelta(seconds=settings.shutdown_grace_seconds),
                interceptors=[ObservedActivities()],
            )
            log.info("worker.started", task_queue=settings.task_queue, temporal=settings.temporal_address)
            await _run_until_stopped(worker, stop, health, ready)
    log.info("worker.stopped")


async def _run_until_stopped(worker: Worker, stop: asyncio.Event, health: Health, ready: asyncio.Event | None) -> None:
    """Poll until `stop` is set (then drain and return) or the worker fails (then raise its failure)."""
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    health.ready = True
    if ready is not None:
        ready.set()
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    health.ready = False
    if running.done():
        health.failed = True
        stopping.cancel()
        running.result()  # the worker's failure
        return
    log.info("worker.stopping")
    await worker.shutdown()  # stops polling; activities in flight get the grace period
    await running


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def main(settings: Settings | None = None) -> None:
    await serve(settings or Settings.from_env(), stop_on_signals())


if __name__ == "__main__":
    from cli.logs import configure_logging

    settings = Settings.from_env()
    configure_logging(log_format=settings.log_format)
    asyncio.run(main(settings))
