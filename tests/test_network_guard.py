"""Safety settings: which addresses may be fetched, and what a malformed setting says."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import pytest
from scrapy.settings import Settings

from crawler import defaults
from crawler.middlewares.network_guard import is_forbidden, parse_networks
from crawler.scheduler.sharded import frontier_config_from_settings

if TYPE_CHECKING:
    from tests.conftest import Env


@pytest.mark.parametrize(
    ("address", "allowed", "forbidden"),
    [
        ("8.8.8.8", "", False),
        ("127.0.0.1", "", True),
        ("10.1.2.3", "", True),
        ("192.168.0.1", "", True),
        ("169.254.169.254", "", True),
        ("::1", "", True),
        ("127.0.6.1", "127.0.0.0/8", False),
        ("10.1.2.3", "127.0.0.0/8", True),
        ("::1", "127.0.0.0/8, ::1/128", False),
    ],
)
def test_non_public_addresses_are_refused_unless_allowed(address: str, allowed: str, forbidden: bool
                                                         ) -> None:
    assert is_forbidden(ipaddress.ip_address(address), parse_networks(allowed)) is forbidden


def test_a_malformed_network_is_named() -> None:
    with pytest.raises(ValueError,
                       match=r"GOVCRAWL_ALLOWED_NETWORKS: 'banana' is not a network in CIDR form"):
        parse_networks("127.0.0.0/8,banana")


def test_a_crawl_with_a_malformed_network_stops_with_the_reason(env: Env) -> None:
    crawl = env.scrapy("crawl", "govsite", "-a", "once=1",
                       settings=("-s", "GOVCRAWL_ALLOWED_NETWORKS=10.0.0.0/33"), timeout=120)
    assert crawl.returncode != 0
    assert "GOVCRAWL_ALLOWED_NETWORKS: '10.0.0.0/33' is not a network in CIDR form" in crawl.stderr


def _settings(**overrides: object) -> Settings:
    values = {name: value for name, value in vars(defaults).items() if name.startswith("GOVCRAWL_")}
    values.update(overrides)
    return Settings(values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"GOVCRAWL_FRONTIER_PROBE_SECONDS": 5000},
         "GOVCRAWL_FRONTIER_PROBE_SECONDS is 5000.0: home pages need at least 20"),
        ({"GOVCRAWL_FRONTIER_SHARDS": 0},
         "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1"),
        ({"GOVCRAWL_FRONTIER_SEEN_BUCKETS": 0},
         "GOVCRAWL_FRONTIER_SHARDS and GOVCRAWL_FRONTIER_SEEN_BUCKETS must be at least 1"),
    ],
)
def test_frontier_settings_out_of_range_are_named(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        frontier_config_from_settings(_settings(**overrides))


def test_the_default_frontier_settings_are_accepted() -> None:
    config = frontier_config_from_settings(_settings())
    assert config.shards == defaults.GOVCRAWL_FRONTIER_SHARDS
    assert config.probe_seconds <= 86400 / 20
