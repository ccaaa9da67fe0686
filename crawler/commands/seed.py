"""`scrapy seed REGISTRY.csv`: validate the registry, index it, load it into Redis and schedule every site.

Elasticsearch is written first, then Redis; every write is idempotent, so a seed that was killed midway
and run again ends in the state of one clean run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

import redis
from elastic_transport import TransportError
from elasticsearch import ApiError, helpers
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections, es_schema
from crawler.items import SiteItem
from crawler.naming import index_name, index_prefix
from crawler.registry import RegistryError, Site, read_registry, read_sites, store_sites
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.sharded import frontier_config_from_settings
from crawler.service_checks import ServiceUnavailable, elasticsearch_client, reason, redis_client
from pipelines.indexing import document_id, to_action

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from elasticsearch import Elasticsearch
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_BULK_DOCS: Final = 2000  # site documents per bulk request (about 1 MB)
_SCHEDULE_SITES: Final = 5000  # sites scheduled per Redis pipeline


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return ("REGISTRY.csv [--replace]  (columns site_id,name,url,level,region,department"
                "[,owner,contact,supervisor])")

    def short_desc(self) -> str:
        return "Validate and load (or update) the site registry; schedule every site"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--replace", action="store_true", help="also remove registered sites that are not in this file"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one registry CSV file")
        assert self.settings is not None
        source = args[0]
        try:
            es_prefix = index_prefix(self.settings)
        except ValueError as exc:
            logger.error("%(error)s; nothing was loaded", {"error": exc})
            self.exitcode = 1
            return
        started = time.monotonic()
        try:
            parsed = read_registry(Path(source))
        except RegistryError as exc:
            for problem in exc.problems:
                logger.error("%(source)s %(problem)s", {"source": exc.source, "problem": problem})
            logger.error("Nothing was loaded from %(source)s: fix the file and run seed again",
                         {"source": source})
            self.exitcode = 1
            return
        for problem in parsed.problems:
            logger.error("%(source)s %(problem)s", {"source": source, "problem": problem})
        sites = parsed.sites
        if not sites:
            logger.error("Nothing was loaded from %(source)s: no row is good", {"source": source})
            self.exitcode = 1
            return
        replace = opts.replace
        if replace and parsed.problems:
            # A site whose row is bad would be removed as "not in the file".
            logger.error("--replace removes nothing this time: %(source)s has bad rows", {"source": source})
            replace = False
        if not self._load(sites, es_prefix, replace=replace, source=source, started=started):
            self.exitcode = 1
            return
        if parsed.problems:
            logger.error("%(bad)d bad rows of %(source)s were left out: fix them and run seed again",
                         {"bad": len(parsed.problems), "source": source})
            self.exitcode = 1

    def _load(self, sites: list[Site], es_prefix: str, *, replace: bool, source: str, started: float) -> bool:
        """Elasticsearch, then Redis; False (after logging why) if a service failed."""
        assert self.settings is not None
        settings = self.settings
        redis_prefix = settings.get("GOVCRAWL_REDIS_PREFIX")
        try:
            es = elasticsearch_client(settings)
        except ServiceUnavailable as exc:
            logger.error("%(error)s; nothing was loaded", {"error": exc})
            return False
        try:
            client = redis_client(settings)
        except ServiceUnavailable as exc:
            es.close()
            logger.error("%(error)s; nothing was loaded", {"error": exc})
            return False
        try:
            asyncio.run(_check_shard_count(settings))
            parsed_seconds = time.monotonic() - started
            file_ids = {site.site_id for site in sites}
            removed = [site for site in read_sites(client, redis_prefix) if site.site_id not in file_ids] \
                if replace else []
            _index_sites(es, es_prefix, sites, removed)
            indexed_seconds = time.monotonic() - started - parsed_seconds
            store_sites(client, redis_prefix, sites, removed)
            asyncio.run(_schedule(settings, sites, removed))
        except (TransportError, ApiError, helpers.BulkIndexError) as exc:
            logger.error("Elasticsearch at %(address)s failed (%(error)s): start it (scripts/services.sh "
                         "start) or fix GOVCRAWL_ES_URL, then run seed again (it is safe to repeat)",
                         {"address": connections.describe_es(settings), "error": _short(exc)})
            return False
        except redis.RedisError as exc:
            logger.error("Redis failed (%(error)s): start it (scripts/services.sh start) or fix "
                         "GOVCRAWL_REDIS_URL, then run seed again (it is safe to repeat)",
                         {"error": reason(exc)})
            return False
        except (es_schema.SchemaError, ValueError) as exc:
            logger.error("%(error)s; Redis was not changed", {"error": exc})
            return False
        finally:
            es.close()
            client.close()
        total = time.monotonic() - started
        logger.info("Loaded %(count)d sites from %(path)s (removed %(removed)d) in %(total).1fs (reading "
                    "%(parsed).1fs, Elasticsearch %(indexed).1fs, Redis %(redis).1fs); every site's crawl "
                    "cycle is due now",
                    {"count": len(sites), "path": source, "removed": len(removed), "total": total,
                     "parsed": parsed_seconds, "indexed": indexed_seconds,
                     "redis": total - parsed_seconds - indexed_seconds})
        return True


def _short(exc: Exception) -> str:
    """A bulk error names how many documents failed and the first reason, not every document."""
    if isinstance(exc, helpers.BulkIndexError):
        first = exc.errors[0] if exc.errors else {}
        return f"{len(exc.errors)} documents refused, e.g. {first}"
    return reason(exc)


def _site_actions(prefix: str, sites: list[Site], removed: list[Site]) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for site in sites:
        yield to_action(SiteItem(site_id=site.site_id, name=site.name, url=site.url, level=site.level,
                                 region=site.region, department=site.department, host=site.host,
                                 registered_at=now, owner=site.owner, contact=site.contact,
                                 supervisor=site.supervisor), prefix)
    for site in removed:
        yield {"_op_type": "delete", "_index": index_name(prefix, "sites"), "_id": document_id(site.site_id)}


def _index_sites(es: Elasticsearch, prefix: str, sites: list[Site], removed: list[Site]) -> None:
    """The registry in govcrawl-sites, where reports and Kibana read it: bulk, then one refresh.

    A refresh per bulk request (refresh=wait_for) made 100,000 sites take over five minutes.
    """
    es_schema.install_templates(es, prefix)
    helpers.bulk(es, _site_actions(prefix, sites, removed), chunk_size=_BULK_DOCS, max_retries=3,
                 raise_on_error=True)
    es.indices.refresh(index=index_name(prefix, "sites"))


async def _check_shard_count(settings: BaseSettings) -> None:
    """Before anything is written: a registry scheduled on another shard count would be lost."""
    client = connections.redis_async(settings)
    try:
        await Frontier(client, frontier_config_from_settings(settings)).check_shard_count()
    finally:
        await client.aclose()


async def _schedule(settings: BaseSettings, sites: list[Site], removed: list[Site]) -> None:
    client = connections.redis_async(settings)
    try:
        frontier = Frontier(client, frontier_config_from_settings(settings))
        for start in range(0, len(sites), _SCHEDULE_SITES):
            await frontier.schedule_sites(sites[start:start + _SCHEDULE_SITES])
        await frontier.unschedule_sites(removed)
    finally:
        await client.aclose()
