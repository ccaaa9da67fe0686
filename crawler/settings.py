"""Scrapy settings: which components run and in what order; environment variables become settings."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from crawler.defaults import *  # noqa: F403  (defaults.py holds every GOVCRAWL_* value)

if TYPE_CHECKING:
    from scrapy.settings import Settings

BOT_NAME = "govcrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# Read from the environment when set there (an `-s` option still wins): where the services are, how
# to log in, and which data to use (the demo's prefixes, say).
_ENVIRONMENT = (
    "GOVCRAWL_REDIS_URL",
    "GOVCRAWL_REDIS_PREFIX",
    "GOVCRAWL_ES_INDEX_PREFIX",
    "GOVCRAWL_ES_URL",
    "GOVCRAWL_ES_USER",
    "GOVCRAWL_ES_PASSWORD",
    "GOVCRAWL_ES_CA_CERTS",
    "GOVCRAWL_ES_API_KEY",
    "GOVCRAWL_REDIS_USERNAME",
    "GOVCRAWL_REDIS_PASSWORD",
    "GOVCRAWL_REDIS_CA_CERTS",
    "GOVCRAWL_REDIS_CLIENT_CERT",
    "GOVCRAWL_REDIS_CLIENT_KEY",
    "GOVCRAWL_REDIS_SENTINELS",
    "GOVCRAWL_REDIS_SENTINEL_PASSWORD",
    "GOVCRAWL_REDIS_SENTINEL_SERVICE",
)
for _name in _ENVIRONMENT:
    if os.environ.get(_name):
        globals()[_name] = os.environ[_name]


class GovcrawlSettingsAddon:
    """Derives Scrapy's own settings from ours once every override is known.

    Runs after `-s GOVCRAWL_...=` options are applied, so an operator sets only GOVCRAWL_* names;
    a Scrapy name given on the command line (priority cmdline) still wins.
    """

    _DERIVED: ClassVar[dict[str, str]] = {
        "USER_AGENT": "GOVCRAWL_CRAWL_USER_AGENT",
        "ROBOTSTXT_OBEY": "GOVCRAWL_CRAWL_ROBOTS_ENABLED",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "GOVCRAWL_CRAWL_CONCURRENCY_PER_HOST",
        "DOWNLOAD_DELAY": "GOVCRAWL_CRAWL_DELAY_SECONDS",
        "DOWNLOAD_TIMEOUT": "GOVCRAWL_CRAWL_TIMEOUT_SECONDS",
        "DOWNLOAD_MAXSIZE": "GOVCRAWL_CRAWL_MAX_RESPONSE_BYTES",
    }

    def update_settings(self, settings: Settings) -> None:
        for name, ours in self._DERIVED.items():
            settings.set(name, settings[ours], priority="addon")


ADDONS = {GovcrawlSettingsAddon: 0}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS = 64
# Scrapy starts this many tasks per callback result; 100 (its default) costs more than it gives here.
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY_JITTER = 0
DOWNLOAD_WARNSIZE = 0
REDIRECT_MAX_TIMES = 20
RETRY_TIMES = 1
# 500s are errors of the site, not of the moment: recorded, not retried.
RETRY_HTTP_CODES = [502, 503, 504, 522, 524, 408, 429]
# A request that failed its retries is recorded (a dead link, a failed probe): a down site is what the
# crawl watches for, not an error of the crawler, so one warning line each.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
DNSCACHE_ENABLED = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# No versions banner at every command (crawler/commands/__init__.py quiets the line before it).
LOG_VERSIONS: list[str] = []
# The spider records every status itself (dead links are findings, not noise).
HTTPERROR_ALLOW_ALL = True
# Depth is limited per site by the spider (GOVCRAWL_CRAWL_MAX_DEPTH).
DEPTH_LIMIT = 0
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

SCHEDULER = "crawler.scheduler.sharded.ShardedScheduler"
SCHEDULER_QUEUE_CLASS = "crawler.scheduler.sharded.SessionQueue"
DOWNLOADER = "crawler.downloader.PoliteDownloader"

# A link check's GET fallback keeps its HEAD's redirect chain on purpose (see GovsiteSpider.parse_check).
META_COPY_WARN_SKIP_KEYS = ["redirect_urls", "redirect_times", "redirect_ttl", "redirect_reasons"]

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.network_guard.NetworkGuardMiddleware": 50,
    # After HttpCompression (590) on the way in, so it sees the server's headers as sent.
    "crawler.middlewares.conditional.ConditionalRequestMiddleware": 560,
    # Attachments read for personal data: one GET, conditional on the last reading, cut short by signals.
    "crawler.middlewares.attachment_reads.AttachmentReadMiddleware": 565,
    # Scrapy's meta refresh, without decoding every page that cannot hold one.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.meta_refresh.QuickMetaRefreshMiddleware": 580,
    # After the meta refresh on the way in: a splash page that leads to a frameset home is read through it.
    "crawler.middlewares.frameset.FramesetHomeMiddleware": 570,
}

# Closest to the spider: a callback that raises still records its page and acknowledges its request.
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.acknowledge.AcknowledgeFailedCallbacks": 950,
}

EXTENSIONS = {
    "crawler.extensions.metrics.MetricsExtension": 500,
    # Progress lines an operator can read, in place of Scrapy's bare page counters.
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.progress.CrawlProgress": 510,
    # The collector's thresholds for a worker's allocation pattern (GOVCRAWL_CRAWL_GC_THRESHOLDS).
    "crawler.extensions.gc_tuning.GcTuning": 520,
}

ITEM_PIPELINES = {
    "pipelines.home_change.HomeChangePipeline": 800,  # reads the previous home page before it is overwritten
    "pipelines.indexing.IndexingPipeline": 900,
}
