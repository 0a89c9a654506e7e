"""`grants config check`: every problem of a configuration at once, found without connecting to anything.

Values that do not parse, files that are missing or unreadable or hold the wrong kind of key, a ledger URL that
is not one, and TLS settings that cannot work together (a client certificate without its key).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cli.rules_file import RulesFileError, load_rules
from cli.settings import VARIABLES, Configuration, parse_settings
from ledger.checkpoints import CheckpointFileError, load_signing_key
from ledger.personal_data import MasterKeyError, load_master_key
from ledger.settings import LedgerURLError, check_ledger_url


def configuration_problems(configuration: Configuration) -> list[str]:
    """One line per problem, each naming the variable and the fix; empty when the configuration can be used."""
    values, problems = parse_settings(configuration)
    for variable in VARIABLES:
        check, value = CHECKS.get(variable.name), values.get(variable.field)
        if check is not None and value is not None:
            problems.extend(_run(variable.name, check, value))
    problems.extend(_tls_pairing(values))
    return problems


def _run(name: str, check: Callable[[Any], object], value: object) -> list[str]:
    fix = f"Fix: point {name} at a readable file of that kind, or mount the secret that holds it"
    try:
        check(value)
    except (LedgerURLError, CheckpointFileError, MasterKeyError, RulesFileError) as error:
        return [f"{name}: {error}"]
    except OSError as error:
        return [f"{name}: cannot read {value} ({error.strerror}). {fix}"]
    except ValueError as error:
        return [f"{name}: {value} {error}. {fix}"]
    return []


def _certificate(path: Path) -> None:
    try:
        x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError:
        msg = "is not a PEM certificate"
        raise ValueError(msg) from None


def _private_key(path: Path) -> None:
    try:
        serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        msg = "is not an unencrypted PEM private key"
        raise ValueError(msg) from None


CHECKS: dict[str, Callable[[Any], object]] = {
    "GRANTS_LEDGER_URL": check_ledger_url,
    "GRANTS_SIGNING_KEY_FILE": load_signing_key,
    "GRANTS_MASTER_KEY_FILE": load_master_key,
    "GRANTS_RULES_FILE": load_rules,
    "GRANTS_TEMPORAL_TLS_CERT_FILE": _certificate,
    "GRANTS_TEMPORAL_TLS_KEY_FILE": _private_key,
    "GRANTS_TEMPORAL_TLS_CA_FILE": _certificate,
}


def _tls_pairing(values: dict[str, Any]) -> list[str]:
    cert, key = values.get("temporal_tls_cert_file"), values.get("temporal_tls_key_file")
    if cert and not key:
        return ["GRANTS_TEMPORAL_TLS_CERT_FILE is set without GRANTS_TEMPORAL_TLS_KEY_FILE. Fix: set both for mTLS"]
    if key and not cert:
        return ["GRANTS_TEMPORAL_TLS_KEY_FILE is set without GRANTS_TEMPORAL_TLS_CERT_FILE. Fix: set both for mTLS"]
    return []
