"""What an operator sees: no banner, one line for an unreachable service, prefixes from the environment,
progress lines during a crawl."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import CRAWL_SETTINGS, ROOT, free_port, run_farm

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Env


def scrapy(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120, check=False)


def test_an_unreachable_redis_is_one_line_and_exit_1(env: Env) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    environ = {**env.environ(), "GOVCRAWL_REDIS_URL": closed}
    for command in (("status",), ("status", "--json")):
        result = scrapy(*command, environ=environ)
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"Redis at {closed} is unreachable (connection refused)" in lines[0]
        assert "GOVCRAWL_REDIS_URL" in lines[0]


def test_an_unreachable_elasticsearch_is_one_line_and_exit_1(env: Env) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = scrapy("templates", environ={**env.environ(), "GOVCRAWL_ES_URL": closed})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"Elasticsearch at {closed} is unreachable (connection refused)" in lines[0]


@pytest.mark.parametrize("command", [
    ("report", "-o", "{out}/report.json"), ("report", "--quarter", "2026Q4", "-o", "{out}/q.json"),
    ("sample", "--quarter", "2026Q4", "--seed", "1", "-o", "{out}/sample.xlsx"),
    ("notify", "-o", "{out}/notices"),
    ("recheck", "5101000001"), ("seed", "{registry}"), ("templates",),
], ids=lambda command: " ".join(command[:2]))
def test_every_command_names_an_unreachable_elasticsearch_in_one_line(env: Env, tmp_path: Path,
                                                                      command: tuple[str, ...]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    registry = _registry(tmp_path)
    args = [part.format(out=tmp_path, registry=registry) for part in command]
    result = scrapy(*args, "-s", f"GOVCRAWL_REDIS_PREFIX={env.redis_prefix}", environ={
        **env.environ(), "GOVCRAWL_ES_URL": closed})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"Elasticsearch at {closed} is unreachable (connection refused)" in lines[0]


@pytest.mark.parametrize("command", [("recheck", "5101000001"), ("seed", "{registry}"), ("status",)],
                         ids=lambda command: command[0])
def test_every_command_names_an_unreachable_redis_in_one_line(env: Env, tmp_path: Path,
                                                              command: tuple[str, ...]) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    args = [part.format(registry=_registry(tmp_path)) for part in command]
    result = scrapy(*args, "-s", f"GOVCRAWL_ES_INDEX_PREFIX={env.es_prefix}", environ={
        **env.environ(), "GOVCRAWL_REDIS_URL": closed})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"Redis at {closed} is unreachable (connection refused)" in lines[0]


def _registry(directory: Path) -> Path:
    registry = directory / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        "5101000001,成都市人民政府,http://127.0.0.1:9/,city,成都市,\n", encoding="utf-8")
    return registry


def test_commands_print_no_banner(env: Env) -> None:
    result = env.scrapy("status")
    assert result.returncode == 0, result.stderr
    assert "Scrapy 2." not in result.stderr and "Versions" not in result.stderr, result.stderr
    assert result.stdout.startswith("sites registered: 0")


def test_the_data_prefixes_come_from_the_environment(env: Env, tmp_path: Path) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text("site_id,name,url,level,region,department\n"
                        "5101000001,成都市人民政府,http://127.0.0.1:9/,city,成都市,\n", encoding="utf-8")
    environ = {**env.environ(), "GOVCRAWL_REDIS_PREFIX": env.redis_prefix,
               "GOVCRAWL_ES_INDEX_PREFIX": env.es_prefix}
    seeded = scrapy("seed", str(registry), environ=environ)
    assert seeded.returncode == 0, seeded.stderr
    assert "sites registered: 1" in scrapy("status", environ=environ).stdout
    assert "sites registered: 0" in scrapy("status", environ=env.environ()).stdout
    # An -s option still wins over the environment.
    other = scrapy("status", "-s", "GOVCRAWL_REDIS_PREFIX=govcrawl:elsewhere", environ=environ)
    assert "sites registered: 0" in other.stdout


def test_a_crawl_logs_progress_and_a_summary(env: Env, tmp_path: Path) -> None:
    slow = ("--latency-ms", "30")
    with run_farm(tmp_path / "farm", sites=2, seed=13, base_ip="127.0.18.1", extra=slow) as farm:
        seeded = env.scrapy("seed", str(farm.registry))
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        crawl = env.scrapy("crawl", "govsite", "-a", "once=1", timeout=180,
                           settings=(*CRAWL_SETTINGS, "-s", "LOGSTATS_INTERVAL=1"))
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    progress = re.findall(r"Progress: (\d+) of 2 site cycles started, ([\d,]+) pages, ([\d,]+) link checks "
                          r"\((\d+)/min\), ([\d,]+) errors; frontier: ([\d,]+) requests queued or in flight, "
                          r"(about \d+ min left|under a minute left|nothing left|time left unknown)",
                          crawl.stderr)
    assert len(progress) >= 2, crawl.stderr[-3000:]
    pages = [int(line[1].replace(",", "")) for line in progress]
    assert pages == sorted(pages) and pages[-1] > 0
    assert "Crawled " not in crawl.stderr  # Scrapy's own counters are gone
    summary = re.search(r"Crawl ended \(finished\) after \d+m\d\ds: 2 site cycles started, ([\d,]+) pages, "
                        r"([\d,]+) link checks, ([\d,]+) errors", crawl.stderr)
    assert summary is not None, crawl.stderr[-3000:]
    assert int(summary.group(1).replace(",", "")) >= pages[-1]
