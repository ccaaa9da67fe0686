"""Crawl benchmark: govcrawl against plain Scrapy and stock scrapy-redis on one site farm (scripts/farm)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import pstats
import resource
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from elasticsearch import ApiError, Elasticsearch, TransportError

from crawler import defaults
from crawler import settings as project_settings

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

logger = logging.getLogger("scripts.bench")

ROOT = Path(__file__).resolve().parent.parent
CONTESTANTS = ("plain", "scrapy-redis", "govcrawl", "govcrawl-noes", "govcrawl-2")
STATS_EXTENSION = "scripts.bench_spiders.BenchStatsExtension"
LINK_CHECK_STATS = "govcrawl/links/checked/"


@dataclass(slots=True)
class Machine:
    """Where and when the benchmark ran."""

    date: str
    cpu_model: str
    cores: int
    load_before: str
    python: str
    code: str  # git commit of the checkout, "+ uncommitted changes" when the tree is dirty


@dataclass(slots=True)
class Result:
    """One contestant's measured figures (rates are per second of the crawl's own start→finish time)."""

    name: str
    workers: int
    html_pages: int = 0
    link_checks: int = 0
    responses: int = 0
    crawl_seconds: float = 0.0  # Scrapy's start_time → finish_time (max over workers): no process start-up
    process_seconds: float = 0.0  # launch → exit of the worker processes, start-up included
    crawler_cpu_seconds: float = 0.0  # user + system time of the worker processes
    machine_busy_core_seconds: float = 0.0  # every process of the machine (farm, Redis, ES, other users)
    service_cpu_seconds: dict[str, float] = field(default_factory=dict)  # farm, Redis, ES: CPU used meanwhile
    tracked_urls: int = 0
    seen_bytes: int = 0  # MEMORY USAGE of the seen-set / dupefilter keys
    prefix_bytes: int = 0  # MEMORY USAGE of every key the contestant left under its prefix
    used_memory_delta_bytes: int = 0  # INFO used_memory after the crawl minus before (shared server)
    max_inflight_per_host: int = 0  # as the farm saw it
    farm_requests: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def pages_per_second(self) -> float:
        return self.html_pages / self.crawl_seconds if self.crawl_seconds else 0.0

    @property
    def pages_per_second_per_worker(self) -> float:
        return self.pages_per_second / self.workers

    @property
    def checks_per_second(self) -> float:
        return self.link_checks / self.crawl_seconds if self.crawl_seconds else 0.0

    def _cores(self, cpu_seconds: float) -> float:
        """Average cores that much CPU time kept busy while the contestant ran."""
        return cpu_seconds / self.process_seconds if self.process_seconds else 0.0

    @property
    def busy_cores(self) -> float:
        """Average number of the machine's cores busy while the contestant ran."""
        return self._cores(self.machine_busy_core_seconds)

    def service_cores(self, name: str) -> float:
        """Average cores a service (farm, redis, es) kept busy while the contestant ran."""
        return self._cores(self.service_cpu_seconds.get(name, 0.0))

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.crawler_cpu_seconds / self.html_pages if self.html_pages else 0.0

    @property
    def seen_bytes_per_url(self) -> float:
        return self.seen_bytes / self.tracked_urls if self.tracked_urls else 0.0

    @property
    def prefix_bytes_per_url(self) -> float:
        return self.prefix_bytes / self.tracked_urls if self.tracked_urls else 0.0

    @property
    def used_memory_bytes_per_url(self) -> float:
        return self.used_memory_delta_bytes / self.tracked_urls if self.tracked_urls else 0.0


# --- machine --------------------------------------------------------------------------------------------


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo text, or "unknown"."""
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return "unknown"


def busy_core_seconds(proc_stat: str) -> float:
    """Non-idle CPU time of the whole machine from /proc/stat text (seconds summed over cores)."""
    fields = proc_stat.splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    busy = sum(ticks[:8]) - idle  # guest time is already counted in user
    return busy / os.sysconf("SC_CLK_TCK")


def _read_busy() -> float:
    return busy_core_seconds(Path("/proc/stat").read_text(encoding="ascii"))


def process_cpu_seconds(proc_pid_stat: str) -> float:
    """User + system CPU of one process from its /proc/<pid>/stat text."""
    fields = proc_pid_stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _service_cpu_seconds(farm: Farm, server: redis.Redis, es_url: str) -> dict[str, float]:
    """CPU used so far by the farm, Redis and Elasticsearch (0 for one whose process is not readable)."""
    pids = {"farm": farm.process.pid, "redis": int(server.info("server")["process_id"])}
    es = Elasticsearch(es_url, request_timeout=10)
    # An unreachable ES or one that hides its process id is reported as 0, not a failed run.
    with contextlib.suppress(ApiError, TransportError, KeyError, StopIteration):
        nodes = es.nodes.info(node_id="_local", metric="process")["nodes"]
        pids["es"] = int(next(iter(nodes.values()))["process"]["id"])
    es.close()
    used = {}
    for name, pid in pids.items():
        try:
            used[name] = process_cpu_seconds(Path(f"/proc/{pid}/stat").read_text(encoding="ascii"))
        except OSError:
            used[name] = 0.0
    return used


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} + uncommitted changes" if dirty else commit


def describe_machine() -> Machine:
    return Machine(
        date=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        cpu_model=cpu_model(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")),
        cores=os.cpu_count() or 0,
        load_before=Path("/proc/loadavg").read_text(encoding="ascii").strip(),
        python=sys.version.split()[0],
        code=_code_version(),
    )


# --- the farm -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Farm:
    """The site farm subprocess (scripts/farm), clean (--fault-rate 0), optionally pinned to one CPU."""

    def __init__(self, out: Path, *, sites: int, seed: int, base_ip: str, cpu: int | None) -> None:
        self.out = out
        self.port = _free_port()
        command = [sys.executable, "-m", "scripts.farm", "serve", "--sites", str(sites), "--seed", str(seed),
                   "--out", str(out), "--port", str(self.port), "--base-ip", base_ip, "--fault-rate", "0"]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        self.command = command
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=(out.parent / "farm.log").open("wb"))
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("farm ready"):
            self.stop()
            raise RuntimeError(f"the farm did not start ({' '.join(command)}): {line!r}; see "
                               f"{out.parent / 'farm.log'}")
        self.truth: dict[str, Any] = json.loads((out / "truth.json").read_text(encoding="utf-8"))

    @property
    def registry(self) -> Path:
        return self.out / "registry.csv"

    def crawlable_html_pages(self) -> int:
        """HTML pages a polite crawl reaches: up sites, robots-allowed, attachments excluded."""
        return sum(1 for site in self.truth["sites"] if not site["down"] for page in site["pages"].values()
                   if not page["robots_disallowed"] and page["kind"] != "attachment")

    def call(self, method: str, path: str) -> dict[str, Any]:
        import urllib.request  # noqa: PLC0415  (only the farm's control endpoint is called)

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/_farm/{path}", method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body.strip().startswith(b"{") else {}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


# --- running crawls --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Plan:
    """What every contestant shares: services, politeness, sizes, output directory."""

    redis_url: str
    es_url: str
    out: Path
    registry: Path
    concurrency: int
    per_host: int
    timeout_seconds: float
    max_pages_per_site: int
    max_depth: int
    tag: str
    extra_settings: tuple[str, ...] = ()  # NAME=VALUE given to every contestant (experiments)

    def prefixes(self, name: str) -> tuple[str, str]:
        slug = name.replace("-", "")
        return f"govcrawl:bench{self.tag}{slug}", f"govcrawl-bench{self.tag}{slug}"

    def common_settings(self, name: str, stats_file: Path) -> list[str]:
        redis_prefix, es_prefix = self.prefixes(name)
        extensions = {**getattr(project_settings, "EXTENSIONS", {}), STATS_EXTENSION: 900}
        pairs = {
            "GOVCRAWL_REDIS_PREFIX": redis_prefix,
            "GOVCRAWL_ES_INDEX_PREFIX": es_prefix,
            "GOVCRAWL_ES_SPOOL_DIR": str(self.out / "spool" / name),
            "GOVCRAWL_ALLOWED_NETWORKS": "127.0.0.0/8",
            "GOVCRAWL_CRAWL_DELAY_SECONDS": "0",
            "GOVCRAWL_CRAWL_ROBOTS_ENABLED": "True",
            "GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST": str(self.per_host),
            "GOVCRAWL_CRAWL_TIMEOUT_SECONDS": str(self.timeout_seconds),
            "GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE": str(self.max_pages_per_site),
            "GOVCRAWL_CRAWL_MAX_DEPTH": str(self.max_depth),
            "CONCURRENT_REQUESTS": str(self.concurrency),
            "EXTENSIONS": json.dumps(extensions),
            "BENCH_STATS_FILE": str(stats_file),
            "LOG_LEVEL": "INFO",
        }
        options = [part for name_value in pairs.items() for part in ("-s", "=".join(name_value))]
        return options + [part for setting in self.extra_settings for part in ("-s", setting)]

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(GOVCRAWL_REDIS_URL=self.redis_url, GOVCRAWL_ES_URL=self.es_url, PYTHONPATH=str(ROOT))
        return env

    def scrapy_command(self, args: Sequence[str], settings: Sequence[str], *, profile: Path | None = None
                       ) -> list[str]:
        runner = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
        return [sys.executable, *runner, "-m", "scrapy", *args, *settings]


def _run_checked(plan: Plan, command: list[str], log_path: Path) -> None:
    with log_path.open("wb") as log:
        done = subprocess.run(command, cwd=ROOT, env=plan.environ(), stdout=log, stderr=subprocess.STDOUT,
                              check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} ... exited with {done.returncode}: see {log_path}")


def crawl(plan: Plan, farm: Farm, name: str, *, workers: int = 1, profile: Path | None = None) -> Result:
    """Run one contestant to the end in fresh Redis/ES prefixes, measure it, then remove the prefixes."""
    redis_prefix, es_prefix = plan.prefixes(name)
    result = Result(name=name, workers=workers)
    server = redis.Redis.from_url(plan.redis_url)
    try:
        govcrawl = name.startswith("govcrawl")
        extra: list[str] = []
        if govcrawl:
            extra += ["-s", f"GOVCRAWL_ES_ENABLED={name != 'govcrawl-noes'}"]
            seed_settings = plan.common_settings(name, plan.out / f"{name}.seed.json")
            _run_checked(plan, plan.scrapy_command(["seed", str(plan.registry)], seed_settings),
                         plan.out / f"{name}.seed.log")
            args = ["crawl", "govsite", "-a", "once=1"]
        else:
            spider = "bench_plain" if name == "plain" else "bench_scrapy_redis"
            args = ["crawl", spider, "-a", f"registry={plan.registry}"]
            extra += ["-s", "SPIDER_MODULES=scripts.bench_spiders"]
            if name == "scrapy-redis":
                extra += ["-s", f"REDIS_URL={plan.redis_url}",  # stock scrapy-redis's own connection setting
                          "-s", f"SCHEDULER_QUEUE_KEY={redis_prefix}:%(spider)s:requests",
                          "-s", f"SCHEDULER_DUPEFILTER_KEY={redis_prefix}:%(spider)s:dupefilter"]
        farm.call("POST", "reset-stats")
        used_before = int(server.info("memory")["used_memory"])
        cpu_before, busy_before = _children_cpu_seconds(), _read_busy()
        services_before = _service_cpu_seconds(farm, server, plan.es_url)
        started = time.monotonic()
        processes = []
        stats_files = []
        for index in range(workers):
            stats_file = plan.out / f"{name}.{index}.stats.json"
            stats_file.unlink(missing_ok=True)
            stats_files.append(stats_file)
            command = plan.scrapy_command(args, [*plan.common_settings(name, stats_file), *extra,
                                                 "-s", f"BOT_NAME=bench{index}"], profile=profile)
            log = (plan.out / f"{name}.{index}.log").open("wb")
            processes.append((subprocess.Popen(command, cwd=ROOT, env=plan.environ(), stdout=log,
                                               stderr=subprocess.STDOUT), log))
        for process, log in processes:
            process.wait()
            log.close()
            if process.returncode != 0:
                result.errors.append(f"worker exited with {process.returncode}: see {log.name}")
        result.process_seconds = time.monotonic() - started
        result.crawler_cpu_seconds = _children_cpu_seconds() - cpu_before
        result.machine_busy_core_seconds = _read_busy() - busy_before
        services_after = _service_cpu_seconds(farm, server, plan.es_url)
        result.service_cpu_seconds = {name: services_after[name] - services_before.get(name, 0.0)
                                      for name in services_after}
        _read_stats(result, stats_files)
        farm_stats = farm.call("GET", "stats")
        result.farm_requests = farm_stats["total_requests"]
        result.max_inflight_per_host = max((host["max_inflight"] for host in farm_stats["hosts"].values()),
                                           default=0)
        result.used_memory_delta_bytes = int(server.info("memory")["used_memory"]) - used_before
        _measure_redis(server, result, redis_prefix, name)
    finally:
        _drop_prefixes(server, plan.es_url, redis_prefix, es_prefix)
        server.close()
    return result


def _read_stats(result: Result, stats_files: list[Path]) -> None:
    starts, finishes = [], []
    for path in stats_files:
        if not path.exists():
            result.errors.append(f"{path.name} was not written (the crawl did not close normally)")
            continue
        stats = json.loads(path.read_text(encoding="utf-8"))
        result.html_pages += int(stats.get("bench/html_pages", 0))
        result.responses += int(stats.get("response_received_count", 0))
        result.link_checks += sum(int(value) for key, value in stats.items()
                                  if key.startswith(LINK_CHECK_STATS))
        starts.append(datetime.fromisoformat(stats["start_time"]))
        finishes.append(datetime.fromisoformat(stats["finish_time"]))
        if stats.get("finish_reason") != "finished":
            result.errors.append(f"{path.name}: finish_reason {stats.get('finish_reason')}")
    if starts:
        result.crawl_seconds = (max(finishes) - min(starts)).total_seconds()


def _scan(server: redis.Redis, pattern: str) -> Iterator[bytes]:
    yield from server.scan_iter(match=pattern, count=1000)


def _memory_usage(server: redis.Redis, key: bytes) -> int:
    # SAMPLES 0: measure every element, not an estimate from five.
    return int(server.memory_usage(key, samples=0) or 0)


def _measure_redis(server: redis.Redis, result: Result, redis_prefix: str, name: str) -> None:
    if name.startswith("govcrawl"):
        for key in _scan(server, f"{redis_prefix}:seen:*"):
            result.seen_bytes += _memory_usage(server, key)
            result.tracked_urls += int(server.hlen(key))
    elif name == "scrapy-redis":
        key = f"{redis_prefix}:bench_scrapy_redis:dupefilter".encode()
        result.seen_bytes = _memory_usage(server, key)
        result.tracked_urls = int(server.scard(key))
    result.prefix_bytes = sum(_memory_usage(server, key) for key in _scan(server, f"{redis_prefix}:*"))


def _drop_prefixes(server: redis.Redis, es_url: str, redis_prefix: str, es_prefix: str) -> None:
    keys = list(_scan(server, f"{redis_prefix}:*"))
    for start in range(0, len(keys), 1000):
        server.delete(*keys[start:start + 1000])
    es = Elasticsearch(es_url, request_timeout=60)
    try:
        es.indices.delete(index=f"{es_prefix}-*", ignore_unavailable=True, allow_no_indices=True)
        es.options(ignore_status=404).indices.delete_index_template(name=f"{es_prefix}-*")
    finally:
        es.close()


# --- report ----------------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "n/a"


def render_table(results: Sequence[Result]) -> list[str]:
    """Markdown table of the results, one row per contestant."""
    lines = [
        "| contestant | workers | HTML pages | crawl s | pages/s | pages/s per worker | link checks/s "
        "| requests/s | crawler CPU ms/page | machine busy cores | farm / Redis / ES cores "
        "| Redis B/URL (seen-set) "
        "| Redis B/URL (all keys) | Redis B/URL (used_memory delta) | URLs tracked | max in flight/host |",
        "| --- " + "| ---: " * 15 + "|",
    ]
    for result in results:
        tracked = result.tracked_urls > 0
        lines.append(
            f"| {result.name} | {result.workers} | {result.html_pages} | {result.crawl_seconds:.1f} "
            f"| {result.pages_per_second:.1f} | {result.pages_per_second_per_worker:.1f} "
            f"| {result.checks_per_second:.1f} "
            f"| {result.responses / result.crawl_seconds if result.crawl_seconds else 0:.1f} "
            f"| {result.cpu_ms_per_page:.2f} "
            f"| {result.busy_cores:.2f} "
            f"| {result.service_cores('farm'):.2f} / {result.service_cores('redis'):.2f} / "
            f"{result.service_cores('es'):.2f} "
            f"| {f'{result.seen_bytes_per_url:.1f}' if tracked else '-'} "
            f"| {f'{result.prefix_bytes_per_url:.1f}' if tracked else '-'} "
            f"| {f'{result.used_memory_bytes_per_url:.1f}' if tracked else '-'} "
            f"| {result.tracked_urls or '-'} | {result.max_inflight_per_host} |"
        )
    return lines


def render_ratios(results: Sequence[Result]) -> list[str]:
    """The issue's targets, each with its measured ratio."""
    by_name = {result.name: result for result in results}
    lines = []

    def rate(name: str) -> float | None:
        found = by_name.get(name)
        return found.pages_per_second if found is not None and not found.errors else None

    def cpu(name: str) -> float | None:
        found = by_name.get(name)
        return found.cpu_ms_per_page if found is not None and not found.errors else None

    pairs = (("govcrawl", "plain", "govcrawl (full pipeline) / plain Scrapy", 0.8),
             ("govcrawl", "scrapy-redis", "govcrawl (full pipeline) / stock scrapy-redis", 1.0),
             ("govcrawl-noes", "plain", "govcrawl (ES off) / plain Scrapy", None),
             ("govcrawl-2", "govcrawl", "two workers / one worker", 1.8))
    for numerator, denominator, label, target in pairs:
        top, bottom = rate(numerator), rate(denominator)
        if top is None or bottom is None:
            continue
        verdict = ""
        if target is not None:
            verdict = f" (target >= {target:.1f}x: {'met' if top / bottom >= target else 'MISSED'})"
        line = f"- {label}: {_ratio(top, bottom)} pages/s{verdict}"
        cpu_top, cpu_bottom = cpu(numerator), cpu(denominator)
        if numerator != "govcrawl-2" and cpu_top and cpu_bottom:
            line += f"; CPU per page {_ratio(cpu_top, cpu_bottom)}"
        lines.append(line)
    return lines


def profile_summary(path: Path, limit: int = 25) -> str:
    """The top functions of a cProfile file, by own time and by cumulative time."""
    from io import StringIO  # noqa: PLC0415

    text = StringIO()
    stats = pstats.Stats(str(path), stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit * 2)
    return text.getvalue()


# --- command line ----------------------------------------------------------------------------------------


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--sites", type=int, default=20, help="farm size (1000 gives ~135k HTML pages)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-pages-per-site", type=int, default=defaults.GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE,
                        help="page budget per site, for every contestant")
    parser.add_argument("--max-depth", type=int, default=defaults.GOVCRAWL_CRAWL_MAX_DEPTH)
    parser.add_argument("--concurrency", type=int, default=project_settings.CONCURRENT_REQUESTS,
                        help="CONCURRENT_REQUESTS of every worker")
    parser.add_argument("--per-host", type=int, default=defaults.GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST)
    parser.add_argument("--timeout-seconds", type=float, default=defaults.GOVCRAWL_CRAWL_TIMEOUT_SECONDS)
    parser.add_argument("--contestants", default=",".join(CONTESTANTS),
                        help=f"comma-separated subset of {', '.join(CONTESTANTS)}")
    parser.add_argument("--profile", action="store_true",
                        help="then crawl once more with one govcrawl worker under cProfile")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every contestant, e.g. CONCURRENT_ITEMS=16 (repeatable)")
    parser.add_argument("--farm-cpu", type=int, default=None, help="pin the farm to this CPU (taskset)")
    parser.add_argument("--base-ip", default="127.42.0.1", help="address of farm site 0")
    parser.add_argument("--out", type=Path, default=ROOT / "run" / "bench",
                        help="logs, stats, results.json, profile")
    parser.add_argument("--redis-url",
                        default=os.environ.get("GOVCRAWL_REDIS_URL") or defaults.GOVCRAWL_REDIS_URL)
    parser.add_argument("--es-url", default=os.environ.get("GOVCRAWL_ES_URL") or defaults.GOVCRAWL_ES_URL)
    args = parser.parse_args(list(argv))
    unknown = set(args.contestants.split(",")) - set(CONTESTANTS)
    if any("=" not in setting for setting in args.setting):
        parser.error("--setting takes NAME=VALUE")
    if unknown:
        parser.error(f"unknown contestants {sorted(unknown)}: choose from {', '.join(CONTESTANTS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    out: Path = args.out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    machine = describe_machine()
    logger.info("govcrawl crawl benchmark, %s", machine.date)
    logger.info("machine: %s, %d cores, load average before: %s; Python %s; code %s",
                machine.cpu_model, machine.cores, machine.load_before, machine.python, machine.code)
    logger.info("command: python -m scripts.bench %s", " ".join(sys.argv[1:] if argv is None else argv))
    farm = Farm(out / "farm", sites=args.sites, seed=args.seed, base_ip=args.base_ip, cpu=args.farm_cpu)
    results: list[Result] = []
    try:
        pinned = f" pinned to CPU {args.farm_cpu}" if args.farm_cpu is not None else " (not pinned)"
        logger.info("farm: %d sites, %d crawlable HTML pages (truth.json), one process%s, port %d",
                    args.sites, farm.crawlable_html_pages(), pinned, farm.port)
        plan = Plan(redis_url=args.redis_url, es_url=args.es_url, out=out, registry=farm.registry,
                    concurrency=args.concurrency, per_host=args.per_host,
                    timeout_seconds=args.timeout_seconds, max_pages_per_site=args.max_pages_per_site,
                    max_depth=args.max_depth, tag=uuid.uuid4().hex[:6], extra_settings=tuple(args.setting))
        logger.info("politeness for every contestant: CONCURRENT_REQUESTS=%d, %d per host, delay 0, "
                    "robots on, timeout %.0fs, depth <= %d, <= %d pages per site", args.concurrency,
                    args.per_host, args.timeout_seconds, args.max_depth, args.max_pages_per_site)
        for name in args.contestants.split(","):
            logger.info("running %s ...", name)
            result = crawl(plan, farm, name, workers=2 if name == "govcrawl-2" else 1)
            results.append(result)
            logger.info("  %s: %d HTML pages in %.1fs = %.1f pages/s, %d link checks, CPU %.1fs%s", name,
                        result.html_pages, result.crawl_seconds, result.pages_per_second, result.link_checks,
                        result.crawler_cpu_seconds, f"; ERRORS: {result.errors}" if result.errors else "")
        profile_text = ""
        if args.profile:
            logger.info("running govcrawl once more under cProfile ...")
            profile_path = out / "govcrawl.prof"
            profiled = crawl(plan, farm, "govcrawl-profiled", profile=profile_path)
            profile_text = profile_summary(profile_path)
            (out / "profile.txt").write_text(profile_text, encoding="utf-8")
            logger.info("  profiled run: %.1f pages/s (cProfile slows it); top costs in %s",
                        profiled.pages_per_second, out / "profile.txt")
    finally:
        farm.stop()
    load_after = Path("/proc/loadavg").read_text(encoding="ascii").strip()
    lines = render_table(results)
    lines += ["", *render_ratios(results), "", f"load average after: {load_after}"]
    for line in lines:
        logger.info("%s", line)
    (out / "results.json").write_text(json.dumps({
        "machine": asdict(machine), "load_after": load_after,
        "args": {key: str(value) for key, value in vars(args).items()},
        "results": [{**asdict(result), "pages_per_second": result.pages_per_second,
                     "checks_per_second": result.checks_per_second} for result in results],
    }, indent=1), encoding="utf-8")
    (out / "table.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    logger.info("results written to %s", out)
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
