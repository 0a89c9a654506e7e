"""The rules configuration of one funding body (GRANTS_RULES_FILE), read and checked before anything starts."""

from __future__ import annotations

import tomllib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.settings import Settings
from domain.deadlines import DAY_SECONDS, DeadlinePolicy
from domain.errors import InvalidInputError
from domain.oversight import FundRules, ScoreWeights
from domain.roles import Role
from domain.values import Money
from ledger.application import GrantLedger, open_ledger

DEFAULT_BODY = "湖南省计划生育协会"


class RulesFileError(ValueError):
    pass


@dataclass(frozen=True)
class RulesInForce:
    funding_body: str
    fund_rules: FundRules

    @property
    def deadlines(self) -> DeadlinePolicy:
        """The deadlines a new grant's workflow starts with (the same the ledger records with the rules)."""
        return self.fund_rules.deadlines


def load_rules(path: Path | None) -> RulesInForce:
    """The rules in `path`, or DESIGN.md's defaults when no file is configured."""
    if path is None:
        return RulesInForce(DEFAULT_BODY, FundRules())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return RulesInForce(str(raw["funding_body"]), _fund_rules(raw))
    except FileNotFoundError:
        msg = f"rules file {path} does not exist. Fix: set GRANTS_RULES_FILE to a file like config/rules/hunan.toml"
        raise RulesFileError(msg) from None
    except tomllib.TOMLDecodeError as error:
        msg = f"rules file {path} is not valid TOML: {error}"
        raise RulesFileError(msg) from None
    except KeyError as error:
        msg = f"rules file {path}: {error.args[0]!r} is missing. Fix: compare with config/rules/hunan.toml"
        raise RulesFileError(msg) from None
    except (InvalidInputError, TypeError, ValueError) as error:
        msg = f"rules file {path}: {error}. Fix: compare with config/rules/hunan.toml"
        raise RulesFileError(msg) from None


def _fund_rules(raw: dict[str, Any]) -> FundRules:
    numerator, denominator = (int(part) for part in raw["decisions"]["quorum"])
    if not 0 < numerator <= denominator:
        msg = f"quorum {numerator}/{denominator} is not a fraction of the members"
        raise ValueError(msg)
    return FundRules(
        large_fund_threshold=_positive(raw["thresholds"]["large_fund_use"]),
        major_project_threshold=_positive(raw["thresholds"]["major_project"]),
        quorum=(numerator, denominator),
        publicity_min_days=int(raw["publicity"]["minimum_days"]),
        deadlines=_deadlines(raw),
        score_weights=_score_weights(raw.get("evaluation", {})),
        **_roles(raw.get("roles", {})),
    )


def _roles(raw: dict[str, Any]) -> dict[str, Any]:
    """The optional [roles] section: whether steps are checked against the staff register, and the key roles."""
    settings: dict[str, Any] = {}
    if "required" in raw:
        if not isinstance(raw["required"], bool):
            msg = f"roles.required must be true or false, got {raw['required']!r}"
            raise TypeError(msg)
        settings["roles_required"] = raw["required"]
    if "key" in raw:
        try:
            settings["key_roles"] = tuple(Role(str(role)) for role in raw["key"])
        except ValueError:
            msg = f"roles.key {raw['key']!r} names a role that is not one of {', '.join(Role)}"
            raise ValueError(msg) from None
    return settings


def _deadlines(raw: dict[str, Any]) -> DeadlinePolicy:
    days = raw["deadlines"]
    for name in ("payment_due_days", "final_report_due_days"):
        if float(days[name]) <= 0:
            msg = f"deadlines.{name} must be more than zero days, got {days[name]!r}"
            raise ValueError(msg)
    return DeadlinePolicy(
        payment_due_seconds=float(days["payment_due_days"]) * DAY_SECONDS,
        final_report_due_seconds=float(days["final_report_due_days"]) * DAY_SECONDS,
    )


def _score_weights(raw: dict[str, Any]) -> ScoreWeights:
    """The optional [evaluation] section: the points each part of the score carries (default: DESIGN.md's)."""
    if "weights" not in raw:
        return ScoreWeights()
    weights = raw["weights"]
    parts = ", ".join(ScoreWeights().as_dict())
    if not isinstance(weights, dict) or set(weights) != set(ScoreWeights().as_dict()):
        msg = f"evaluation.weights must give the points of each of {parts}, got {weights!r}"
        raise ValueError(msg)
    return ScoreWeights(**weights)


def _positive(yuan: object) -> Money:
    amount = Money.parse_yuan(str(yuan))
    if not amount.is_positive:
        msg = f"threshold {yuan} must be more than zero"
        raise ValueError(msg)
    return amount


def open_ledger_under_rules(settings: Settings, master_key: bytes | None = None) -> AbstractContextManager[GrantLedger]:
    """The configured ledger, judging by the configured rules (a bad rules file is a `RulesFileError` here)."""
    rules = load_rules(settings.rules_file).fund_rules
    return open_ledger(settings.ledger_url, master_key=master_key, fund_rules=rules)
