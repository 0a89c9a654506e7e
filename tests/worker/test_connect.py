"""One way to Temporal: `worker.connect` sends the configured client certificate (mTLS), or no TLS at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from cli.settings import Settings
from tests.tls_files import self_signed_certificate
from worker import connect, tls_config


def test_without_tls_files_the_connection_is_plain() -> None:
    assert tls_config(Settings.from_env({})) is False


def test_the_certificate_key_and_ca_files_are_read_into_the_tls_config(tmp_path: Path) -> None:
    for name in ("client.pem", "client.key", "ca.pem"):
        (tmp_path / name).write_bytes(f"-----{name}-----".encode())
    settings = Settings.from_env(
        {
            "GRANTS_TEMPORAL_TLS_CERT_FILE": str(tmp_path / "client.pem"),
            "GRANTS_TEMPORAL_TLS_KEY_FILE": str(tmp_path / "client.key"),
            "GRANTS_TEMPORAL_TLS_CA_FILE": str(tmp_path / "ca.pem"),
            "GRANTS_TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
        }
    )

    assert tls_config(settings) == TLSConfig(
        client_cert=b"-----client.pem-----",
        client_private_key=b"-----client.key-----",
        server_root_ca_cert=b"-----ca.pem-----",
        domain="temporal.internal",
    )


async def test_a_client_certificate_reaches_the_connection(temporal, tmp_path: Path) -> None:
    """The dev server speaks plain gRPC: with mTLS configured the TLS handshake fails; without, it connects."""
    cert, key = self_signed_certificate(tmp_path)
    address = temporal.client.service_client.config.target_host
    plain = {"GRANTS_TEMPORAL_ADDRESS": address}
    mtls = plain | {
        "GRANTS_TEMPORAL_TLS_CERT_FILE": str(cert),
        "GRANTS_TEMPORAL_TLS_KEY_FILE": str(key),
        "GRANTS_TEMPORAL_TLS_CA_FILE": str(cert),
    }

    with pytest.raises(RuntimeError, match="Failed client connect"):
        await connect(Settings.from_env(mtls))
    assert await connect(Settings.from_env(plain))
