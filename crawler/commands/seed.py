"""`scrapy seed REGISTRY.csv`: validate the registry, load it into Redis and schedule every site."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from elastic_transport import TransportError
from elasticsearch import helpers
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections, es_schema
from crawler.items import SiteItem
from crawler.naming import index_name, index_prefix
from crawler.registry import RegistryError, Site, read_registry, store_sites
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.sharded import frontier_config_from_settings
from pipelines.indexing import document_id, to_action

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "REGISTRY.csv [--replace]"

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
        es = connections.elasticsearch_sync(self.settings)
        try:
            es.cluster.health()
        except TransportError as exc:
            logger.error("Elasticsearch at %(address)s is unreachable (%(error)s): nothing was loaded; "
                         "start it (scripts/services.sh start) or fix GOVCRAWL_ES_URL",
                         {"address": connections.describe_es(self.settings), "error": exc})
            self.exitcode = 1
            return
        client = connections.redis_sync(self.settings)
        removed = store_sites(client, self.settings.get("GOVCRAWL_REDIS_PREFIX"), sites, replace=replace)
        client.close()
        asyncio.run(_schedule(self.settings, sites, removed))
        _index_sites(es, es_prefix, sites, removed)
        es.close()
        logger.info("Loaded %(count)d sites from %(path)s (removed %(removed)d); "
                    "every site's crawl cycle is due now",
                    {"count": len(sites), "path": source, "removed": len(removed)})
        if parsed.problems:
            logger.error("%(bad)d bad rows of %(source)s were left out: fix them and run seed again",
                         {"bad": len(parsed.problems), "source": source})
            self.exitcode = 1


def _index_sites(es: Elasticsearch, prefix: str, sites: list[Site], removed: list[Site]) -> None:
    """The registry in govcrawl-sites, where reports and Kibana read it."""
    es_schema.install_templates(es, prefix)
    now = datetime.now(UTC)
    actions = [to_action(SiteItem(site_id=site.site_id, name=site.name, url=site.url, level=site.level,
                                  region=site.region, department=site.department, host=site.host,
                                  registered_at=now), prefix) for site in sites]
    actions += [
        {"_op_type": "delete", "_index": index_name(prefix, "sites"), "_id": document_id(site.site_id)}
        for site in removed
    ]
    helpers.bulk(es, actions, refresh="wait_for", raise_on_error=True)


async def _schedule(settings: BaseSettings, sites: list[Site], removed: list[Site]) -> None:
    client = connections.redis_async(settings)
    try:
        frontier = Frontier(client, frontier_config_from_settings(settings))
        await frontier.check_shard_count()
        await frontier.schedule_sites(sites)
        await frontier.unschedule_sites(removed)
    finally:
        await client.aclose()
