"""`scrapy exporter [--once]`: serve site-state and frontier metrics for Prometheus (GOVCRAWL_EXPORTER_*)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.process_collector import ProcessCollector
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.exporter import SiteStateExporter, elasticsearch_states, redis_frontier_reader
from crawler.indicators import load_indicators
from crawler.metrics import serve
from crawler.naming import index_prefix

if TYPE_CHECKING:
    import argparse
    from types import FrameType

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "[--once] [--port N] [--address ADDR]"

    def short_desc(self) -> str:
        return "Serve per-site state and frontier figures as Prometheus metrics (--once: print them and exit)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--once", action="store_true",
                            help="refresh once, print the exposition text to stdout and exit")
        parser.add_argument("--port", type=int, help="listen port (default GOVCRAWL_EXPORTER_PORT)")
        parser.add_argument("--address", help="listen address (default GOVCRAWL_EXPORTER_ADDRESS)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments {' '.join(args)}")
        assert self.settings is not None
        settings = self.settings
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
        refresh_seconds = settings.getfloat("GOVCRAWL_EXPORTER_REFRESH_SECONDS")
        batch_size = settings.getint("GOVCRAWL_EXPORTER_BATCH_SIZE")
        port = opts.port if opts.port is not None else settings.getint("GOVCRAWL_EXPORTER_PORT")
        address = opts.address or str(settings.get("GOVCRAWL_EXPORTER_ADDRESS"))
        if refresh_seconds <= 0 or batch_size < 1:
            raise UsageError(f"GOVCRAWL_EXPORTER_REFRESH_SECONDS is {refresh_seconds} and "
                             f"GOVCRAWL_EXPORTER_BATCH_SIZE {batch_size}: both must be positive")
        try:
            prefix = index_prefix(settings)
        except ValueError as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
            return
        client = connections.elasticsearch_sync(settings)
        states = elasticsearch_states(client, prefix, batch_size)
        exporter = SiteStateExporter(states, load_indicators(), frontier=redis_frontier_reader(settings))
        registry = CollectorRegistry()
        registry.register(exporter)
        try:
            if opts.once:
                ok = exporter.refresh()
                sys.stdout.write(generate_latest(registry).decode("utf-8"))
                self.exitcode = 0 if ok else 1
                return
            ProcessCollector(registry=registry)
            _server, _thread, bound = serve(registry, address, port, 1)
            logger.info("Exporter at http://%(address)s:%(port)d/metrics, refreshing every %(seconds).0fs "
                        "from %(es)s in batches of %(batch)d sites",
                        {"address": address, "port": bound, "seconds": refresh_seconds,
                         "es": connections.describe_es(settings), "batch": batch_size})
            stop = threading.Event()

            def _stop(signum: int, _frame: FrameType | None) -> None:
                logger.info("Exporter stopping (signal %(signum)d)", {"signum": signum})
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            exporter.run(stop, refresh_seconds)
        finally:
            client.close()
