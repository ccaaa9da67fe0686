"""Shared fixtures: the real Redis and Elasticsearch servers, per-test key and index prefixes, crawls."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import redis
from elasticsearch import Elasticsearch
from elastic_transport import TransportError

from crawler import defaults

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
START_HINT = "start the local servers with `scripts/services.sh start` (or `make services`)"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("GOVCRAWL_REDIS_URL") or defaults.GOVCRAWL_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at GOVCRAWL_REDIS_URL={url} is unreachable ({exc}): {START_HINT}")
    return url


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL
    client = Elasticsearch(url, request_timeout=10)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="10s")
    except TransportError as exc:
        pytest.fail(f"Elasticsearch at GOVCRAWL_ES_URL={url} is unreachable ({exc}): {START_HINT}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of this test's own (`govcrawl:t<hex>`); its keys are removed afterwards."""
    prefix = f"govcrawl:t{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        redis_client.delete(*keys[start:start + 1000])


@pytest.fixture
def es_prefix(es_client: Elasticsearch) -> Iterator[str]:
    """An index prefix of this test's own (`govcrawl-t<hex>`); its indices are removed afterwards."""
    prefix = f"govcrawl-t{uuid.uuid4().hex[:12]}"
    yield prefix
    es_client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)
    es_client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-*")


@dataclass(slots=True)
class Env:
    """Settings every subprocess of a test shares: service addresses and its own prefixes."""

    redis_url: str
    es_url: str
    redis_prefix: str
    es_prefix: str
    spool_dir: Path

    def settings(self) -> list[str]:
        return [
            "-s", f"GOVCRAWL_REDIS_PREFIX={self.redis_prefix}",
            "-s", f"GOVCRAWL_ES_INDEX_PREFIX={self.es_prefix}",
            "-s", f"GOVCRAWL_ES_SPOOL_DIR={self.spool_dir}",
        ]

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GOVCRAWL_REDIS_URL=self.redis_url, GOVCRAWL_ES_URL=self.es_url, PYTHONPATH=str(ROOT))
        return env

    def scrapy(self, *args: str, settings: Sequence[str] = (), timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `scrapy ARGS` from the project root, as an operator would, and return what it printed."""
        command = [sys.executable, "-m", "scrapy", *args, *self.settings(), *settings]
        return subprocess.run(command, cwd=ROOT, env=self.environ(), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def popen(self, *args: str, settings: Sequence[str] = ()) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "scrapy", *args, *self.settings(), *settings]
        return subprocess.Popen(command, cwd=ROOT, env=self.environ(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def env(redis_url: str, es_url: str, redis_prefix: str, es_prefix: str, tmp_path: Path) -> Env:
    return Env(redis_url, es_url, redis_prefix, es_prefix, tmp_path / "spool")
