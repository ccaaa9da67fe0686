"""Load and validate indicators.yaml, the point values and thresholds of docs/checks.md §1 and §5."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

INDICATORS_PATH = Path(__file__).with_name("indicators.yaml")

Confidence = Literal["confirmed", "suspected"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoringRules(_Strict):
    start_points: float = Field(gt=0)
    fail_below: float = Field(ge=0)
    good_above: float = Field(ge=0)
    department_scale_without_service: float = Field(gt=0)
    count_suspected_links: bool


class GroupRules(_Strict):
    label: str
    points: float = Field(gt=0)
    checks: list[str]


class AvailabilityRules(_Strict):
    fail_ratio: float = Field(gt=0, le=1)
    warn_ratio: float = Field(gt=0, le=1)
    window_days: int = Field(ge=1)
    min_probes: int = Field(ge=1)
    day_warn_min_probes: int = Field(ge=1)  # alerts only: probes the 1-day early warning needs
    confidence: Confidence


class HomeRules(_Strict):
    fail_days: int = Field(ge=1)
    warn_days: int = Field(ge=1)
    confidence: Confidence


class CountRules(_Strict):
    fail_count: int = Field(ge=1)
    warn_count: int | None = Field(default=None, ge=1)
    confidence: Confidence


class ChannelRules(_Strict):
    confidence: Confidence


class ReplyRules(_Strict):
    unanswered_days: int = Field(ge=1)
    lookback_months: int = Field(ge=1)
    min_age_months: int = Field(ge=0)
    confidence: Confidence


class ServiceRules(_Strict):
    min_missing: int = Field(ge=1, le=10)
    fail_count: int = Field(ge=1)
    confidence: Confidence


class VetoRules(_Strict):
    v_avail: AvailabilityRules = Field(alias="V-AVAIL")
    v_home: HomeRules = Field(alias="V-HOME")
    v_core: CountRules = Field(alias="V-CORE")
    v_stale: CountRules = Field(alias="V-STALE")
    v_empty: CountRules = Field(alias="V-EMPTY")
    v_channel: ChannelRules = Field(alias="V-CHANNEL")
    v_reply: ReplyRules = Field(alias="V-REPLY")
    v_service: ServiceRules = Field(alias="V-SERVICE")


class DeductionRule(_Strict):
    points: float = Field(ge=0)
    max_age_days: int | None = Field(default=None, ge=1)
    keywords: list[str] | None = None  # D-SVC-STATS: what names a service statistics column


class ZombieRules(_Strict):
    quiet_days: int = Field(ge=1)


class PrivacyRules(_Strict):
    min_mobiles: int = Field(ge=1)


class LabelRules(_Strict):
    i_zombie: ZombieRules = Field(alias="I-ZOMBIE")
    i_soft404: dict[str, object] = Field(alias="I-SOFT404")
    i_privacy: PrivacyRules = Field(alias="I-PRIVACY")
    i_crawl: dict[str, object] = Field(alias="I-CRAWL")


class ReportRules(_Strict):
    html_attention_rows: int = Field(ge=0)
    evidence_items: int = Field(ge=1)


class Indicators(_Strict):
    """The whole indicators.yaml."""

    scoring: ScoringRules
    groups: dict[str, GroupRules]
    service_group: str
    vetoes: VetoRules
    deductions: dict[str, DeductionRule]
    labels: LabelRules
    report: ReportRules

    @model_validator(mode="after")
    def _consistent(self) -> Indicators:
        if self.service_group not in self.groups:
            raise ValueError(f"service_group {self.service_group!r} is not one of the groups "
                             f"({', '.join(self.groups)})")
        total = sum(group.points for group in self.groups.values())
        if abs(total - self.scoring.start_points) > 1e-6:
            raise ValueError(f"groups: points add up to {total:g}, expected scoring.start_points "
                             f"{self.scoring.start_points:g}")
        seen: dict[str, str] = {}
        for name, group in self.groups.items():
            for check in group.checks:
                if check not in self.deductions:
                    raise ValueError(f"groups.{name}.checks: {check!r} has no entry under deductions")
                if check in seen:
                    raise ValueError(f"groups.{name}.checks: {check!r} is already in group {seen[check]!r}")
                seen[check] = name
        orphans = sorted(set(self.deductions) - set(seen))
        if orphans:
            raise ValueError(f"deductions: {', '.join(orphans)} belong to no group")
        return self

    def points(self, check: str) -> float:
        return self.deductions[check].points

    def group_of(self, check: str) -> str:
        for name, group in self.groups.items():
            if check in group.checks:
                return name
        raise KeyError(check)


def _describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"]) or "<top>"
        problems.append(f"{where}: {detail['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def parse_indicators(text: str, source: str = "indicators.yaml") -> Indicators:
    """Validate indicators YAML text; raises ValueError naming the source and every bad key."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return Indicators.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(f"{source}: {_describe(exc)}") from exc


def load_indicators(path: Path | None = None) -> Indicators:
    """The indicators of `path`, or the shipped crawler/indicators.yaml (cached) when None."""
    if path is None:
        return _default_indicators()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the indicators file: {exc.strerror}") from exc
    return parse_indicators(text, source=str(path))


@functools.cache
def _default_indicators() -> Indicators:
    return parse_indicators(INDICATORS_PATH.read_text(encoding="utf-8"), source=str(INDICATORS_PATH))
