"""The benchmark's own arithmetic (CPU readings from /proc, the rendered table) and its baseline spiders."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scripts.bench import Result, busy_core_seconds, process_cpu_seconds, render_ratios, render_table
from tests.conftest import CRAWL_SETTINGS, run_farm

if TYPE_CHECKING:
    from tests.conftest import Env


def test_process_cpu_is_read_after_the_command_name_even_with_parentheses() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    fields = ["S"] + ["0"] * 10 + [str(3 * tick), str(tick)] + ["0"] * 30
    text = "4242 (odd) name) " + " ".join(fields)
    assert process_cpu_seconds(text) == 4.0


def test_own_process_cpu_grows_while_it_works() -> None:
    before = process_cpu_seconds(Path("/proc/self/stat").read_text(encoding="ascii"))
    total = 0
    while process_cpu_seconds(Path("/proc/self/stat").read_text(encoding="ascii")) - before < 0.05:
        total += sum(range(10_000))
    assert total > 0


def test_machine_busy_time_excludes_idle_and_iowait() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal guest guest_nice
    text = f"cpu  {tick} 0 {tick} {50 * tick} {7 * tick} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"
    assert busy_core_seconds(text) == 2.0


def test_table_shows_service_cores_and_ratios_name_the_targets() -> None:
    one = Result(name="govcrawl", workers=1, html_pages=1000, crawl_seconds=10.0, process_seconds=10.0,
                 crawler_cpu_seconds=9.0, service_cpu_seconds={"farm": 0.5, "redis": 1.0, "es": 2.0})
    two = Result(name="govcrawl-2", workers=2, html_pages=1000, crawl_seconds=6.0, process_seconds=6.0)
    plain = Result(name="plain", workers=1, html_pages=1000, crawl_seconds=8.0, process_seconds=8.0)
    table = render_table([one, two])
    assert "farm / Redis / ES cores" in table[0]
    assert "| 0.05 / 0.10 / 0.20 |" in table[2]
    assert len(table[1].split("|")) == len(table[0].split("|")) == len(table[2].split("|"))
    ratios = render_ratios([one, two, plain])
    assert "- govcrawl (full pipeline) / plain Scrapy: 0.80x pages/s (target >= 0.8x: met)" in ratios[0]
    assert "two workers / one worker: 1.67x pages/s (target >= 1.8x: MISSED)" in ratios[1]


@pytest.mark.parametrize("spider", ["bench_plain", "bench_scrapy_redis"])
def test_the_baseline_spiders_crawl_every_page_with_their_own_scheduler_and_close(
        env: Env, tmp_path: Path, spider: str) -> None:
    keys = ("-s", f"REDIS_URL={env.redis_url}",
            "-s", f"SCHEDULER_QUEUE_KEY={env.redis_prefix}:%(spider)s:requests",
            "-s", f"SCHEDULER_DUPEFILTER_KEY={env.redis_prefix}:%(spider)s:dupefilter")
    with run_farm(tmp_path / "farm", sites=1, seed=14, base_ip="127.0.19.1") as farm:
        result = env.scrapy("crawl", spider, "-a", f"registry={farm.registry}", timeout=180, settings=(
            *CRAWL_SETTINGS, *keys, "-s", "SPIDER_MODULES=scripts.bench_spiders",
            "-s", "GOVCRAWL_METRICS_ENABLED=False"))
        crawlable = len(farm.crawlable_pages())
    assert result.returncode == 0, result.stderr[-3000:]
    received = re.search(r"'response_received_count': (\d+)", result.stderr)
    assert received is not None, result.stderr[-3000:]
    assert crawlable > 50 and int(received.group(1)) >= crawlable
    assert "Spider closed (finished)" in result.stderr
