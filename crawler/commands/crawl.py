"""`scrapy crawl`: Scrapy's crawl that refuses bad settings first and exits 1 when the spider failed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.utils.log import get_scrapy_root_handler

from crawler.naming import index_prefix
from crawler.scheduler.session import check_worker_settings
from crawler.service_checks import redis_client, run_command

if TYPE_CHECKING:
    import argparse

    from scrapy import Spider

logger = logging.getLogger(__name__)

# Close reasons of a crawl that ended as asked: once=1 done, or SIGTERM/SIGINT.
CLEAN_CLOSE_REASONS: Final = frozenset({"finished", "shutdown"})


class RobotsFetchFailure(logging.Filter):
    """One warning line, no traceback, for a robots.txt that could not be fetched.

    Scrapy's RobotsTxtMiddleware logs it as an ERROR with the exception's traceback. A site that is down
    fails that way first; its own request fails next and is recorded (the probe, a dead link), and the
    site is then crawled as if its robots.txt allowed everything, which is what the line says.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Error downloading %(request)s: %(f_exception)s":
            record.msg = ("robots.txt for %(request)s could not be fetched (%(f_exception)s): the site is "
                          "crawled as if it allowed everything")
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_robots_fetch_failures() -> None:
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    if not any(isinstance(existing, RobotsFetchFailure) for existing in robots.filters):
        robots.addFilter(RobotsFetchFailure())


def skip_records_below_log_level() -> None:
    """Loggers stop at LOG_LEVEL instead of building records that Scrapy's handler then drops.

    Scrapy leaves the root logger at NOTSET and filters in its handler, so each request's "Crawled" and
    each item's "Scraped from" line (DEBUG), and charset detection's trace lines, were built as records
    and thrown away: about 3 % of a crawl's CPU. What reaches the log is the same.
    """
    handler = get_scrapy_root_handler()
    if handler is not None:
        logging.root.setLevel(handler.level)


class Command(ScrapyCrawlCommand):
    """Exit status 1 when the spider closed on an error (say Elasticsearch unreachable at start)."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name: scrapy crawl govsite")
        run_command(self, lambda: self._crawl(args, opts))

    def _crawl(self, args: list[str], opts: argparse.Namespace) -> None:
        """Refuse bad settings and an unreachable Redis in one line each, before anything starts."""
        assert self.settings is not None
        if self.settings.getbool("GOVCRAWL_ES_ENABLED"):
            try:
                index_prefix(self.settings)
            except ValueError as exc:
                raise ValueError(f"{exc}; nothing was crawled") from exc
        check_worker_settings(self.settings)
        redis_client(self.settings).close()
        assert self.crawler_process is not None
        self._close_reasons: list[str] = []
        crawler = self.crawler_process.create_crawler(args[0])
        skip_records_below_log_level()
        quiet_robots_fetch_failures()
        crawler.signals.connect(self._on_spider_closed, signal=signals.spider_closed)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        failed = [reason for reason in self._close_reasons if reason not in CLEAN_CLOSE_REASONS]
        if failed and not self.exitcode:
            logger.error("The spider closed on an error (%(reason)s): exit status 1", {"reason": failed[0]})
            self.exitcode = 1

    def _on_spider_closed(self, spider: Spider, reason: str) -> None:
        self._close_reasons.append(str(reason))
