"""`grants serve`: the officers' and auditors' console (HTTP API and pages) against the configured stack."""

from __future__ import annotations

import logging

import click
import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from cli.logs import configure_logging

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
CONSOLE_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}/"


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the console: pages at /, the API at /api, its OpenAPI at /docs. Ctrl-C stops it."""
    configure_logging(logging.INFO)  # every sign-in, failure, lockout and refusal is an INFO or WARNING event
    settings = ApiSettings.from_env()
    click.echo(f"console on http://{host}:{port}/ (API docs: /docs); accounts: `grants accounts add`", err=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
