"""The Scrapy scheduler: scrapy-redis's, fed by the worker session's leased shards (SCHEDULER setting).

scrapy-redis provides the scheduler itself: `enqueue_request` (dupefilter, then `queue.push`),
`next_request` (`queue.pop`), `has_pending_requests` and `__len__` (the queue's length), the queue class
plugged in through SCHEDULER_QUEUE_CLASS and built per spider at `open`, and persistence (the cluster's
queue is never flushed by a closing worker). What govcrawl adds is the queue class, `SessionQueue`, and
the opening and closing of the worker session (crawler/scheduler/session.py), which does everything that
concerns the cluster. Its seen set is the frontier's (one Lua call per batch of links, per revisit cycle),
so the dupefilter is Scrapy's `BaseDupeFilter`, which filters nothing: every request that reaches this
scheduler is a redirect, retry or GET fallback of a request the worker already holds.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Self

import redis
import scrapy_redis.queue
import scrapy_redis.scheduler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.defer import deferred_from_coro

from crawler import connections
from crawler.scheduler.session import WorkerSession, frontier_config_from_settings, worker_session

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

__all__ = ["SessionQueue", "ShardedScheduler", "frontier_config_from_settings"]

# scrapy-redis's scheduler passes `spider=` to StatsCollector.inc_value, which Scrapy deprecates: the calls
# work, and its warning would otherwise stand in every operator's crawl log.
warnings.filterwarnings("ignore", message="Passing a 'spider' argument to StatsCollector",
                        category=ScrapyDeprecationWarning, module="scrapy_redis")


class SessionQueue(scrapy_redis.queue.Base):  # type: ignore[misc]  # scrapy-redis is untyped
    """scrapy-redis queue over the session: pushes go to the frontier (batched), pops come from the
    requests the session prefetched from this worker's shards, polite per host."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.session: WorkerSession = worker_session(spider.crawler)

    def __len__(self) -> int:
        return self.session.pending()

    def push(self, request: Request) -> None:
        self.session.offer(request)

    def pop(self, timeout: int = 0) -> Request | None:
        return self.session.next_request()

    def clear(self) -> None:
        """The queue is the cluster's: a worker never clears it."""


class ShardedScheduler(scrapy_redis.scheduler.Scheduler):  # type: ignore[misc]  # scrapy-redis is untyped
    """scrapy-redis's scheduler with `SessionQueue`, opening and closing the worker session."""

    session: WorkerSession

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        server = connections.redis_sync(settings)
        try:
            server.ping()
        except redis.RedisError as exc:
            raise ValueError(f"Redis at GOVCRAWL_REDIS_URL is unreachable ({exc}): start it "
                             "(scripts/services.sh start) or fix GOVCRAWL_REDIS_URL") from exc
        scheduler = cls(server=server, persist=True, queue_cls=settings.get("SCHEDULER_QUEUE_CLASS"),
                        dupefilter=BaseDupeFilter())
        scheduler.stats = crawler.stats
        scheduler.session = worker_session(crawler)
        return scheduler

    def open(self, spider: Spider) -> Deferred[None]:
        super().open(spider)
        return deferred_from_coro(self.session.open(spider))

    def close(self, reason: str) -> Deferred[None]:
        return deferred_from_coro(self.session.close(reason))
