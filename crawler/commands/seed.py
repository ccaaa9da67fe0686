"""`scrapy seed REGISTRY.csv`: validate the registry, load it into Redis and schedule every site."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.registry import RegistryError, Site, load_registry, store_sites
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.sharded import frontier_config_from_settings

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

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
        try:
            sites = load_registry(Path(args[0]))
        except RegistryError as exc:
            for problem in exc.problems:
                logger.error("%(source)s %(problem)s", {"source": exc.source, "problem": problem})
            logger.error("Nothing was loaded from %(source)s: fix the rows above and run seed again",
                         {"source": exc.source})
            self.exitcode = 1
            return
        client = connections.redis_sync(self.settings)
        removed = store_sites(client, self.settings.get("GOVCRAWL_REDIS_PREFIX"), sites, replace=opts.replace)
        client.close()
        asyncio.run(_schedule(self.settings, sites, removed))
        logger.info("Loaded %(count)d sites from %(path)s (removed %(removed)d); every site's crawl cycle is due now",
                    {"count": len(sites), "path": args[0], "removed": len(removed)})


async def _schedule(settings: BaseSettings, sites: list[Site], removed: list[Site]) -> None:
    client = connections.redis_async(settings)
    try:
        frontier = Frontier(client, frontier_config_from_settings(settings))
        await frontier.check_shard_count()
        await frontier.schedule_sites(sites)
        await frontier.unschedule_sites(removed)
    finally:
        await client.aclose()
