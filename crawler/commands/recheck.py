"""`scrapy recheck SITE_ID... | --region CITY`: make the sites' whole crawl cycle due now.

Home page, columns, articles and link checks are all fetched again by the next crawl (without
conditional requests), so a fix is verified within minutes; the next `scrapy report` then closes
the cases the crawl no longer finds (crawler.cases).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, ClassVar

import redis
from elastic_transport import TransportError
from elasticsearch import ApiError
from elasticsearch.helpers import scan
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.naming import index_name, index_prefix
from crawler.registry import read_sites
from crawler.scheduler.frontier import Frontier
from crawler.scheduler.sharded import frontier_config_from_settings
from crawler.service_checks import ServiceUnavailable, elasticsearch_client, reason, redis_client
from crawler.site_state import check_region

if TYPE_CHECKING:
    import argparse

    from elasticsearch import Elasticsearch
    from scrapy.settings import BaseSettings

    from crawler.registry import Site

logger = logging.getLogger(__name__)


def chosen_sites(registered: list[Site], site_ids: list[str], region: str | None) -> list[Site]:
    """The registered sites named by id, or those of a region; LookupError naming unknown ids."""
    if region is not None:
        return [site for site in registered if site.region == region]
    by_id = {site.site_id: site for site in registered}
    unknown = [site_id for site_id in dict.fromkeys(site_ids) if site_id not in by_id]
    if unknown:
        raise LookupError(f"{len(unknown)} site id(s) are not registered: {', '.join(unknown[:10])}"
                          f"{', ...' if len(unknown) > 10 else ''}; check the ids (scrapy seed loads the "
                          "registry); nothing was scheduled")
    return [by_id[site_id] for site_id in dict.fromkeys(site_ids)]


def known_urls(client: Elasticsearch, prefix: str, site_ids: list[str]) -> list[str]:
    """Every URL stored for the sites: pages, columns and the targets of their broken links."""
    urls: set[str] = set()
    query = {"query": {"terms": {"site_id": site_ids}}, "_source": ["url"]}
    for kind in ("pages", "columns", "links"):
        index = index_name(prefix, kind)
        if client.indices.exists(index=index):
            urls.update(str(hit["_source"]["url"]) for hit in scan(client, index=index, query=query))
    return sorted(urls)


async def _schedule(settings: BaseSettings, sites: list[Site], urls: list[str]) -> tuple[int, int]:
    client = connections.redis_async(settings)
    try:
        frontier = Frontier(client, frontier_config_from_settings(settings))
        await frontier.check_shard_count()
        return await frontier.recheck_sites(sites, urls)
    finally:
        await client.aclose()


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "SITE_ID... | --region CITY"

    def short_desc(self) -> str:
        return "Make sites' whole crawl cycle due now (verify a fix); the next report closes what is gone"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--region", help="every site of this region (市州), e.g. 成都市")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if bool(args) == bool(opts.region):
            raise UsageError("give the site ids to re-check, or --region CITY (not both)")
        assert self.settings is not None
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
        es = None
        try:
            store = redis_client(self.settings)
        except ServiceUnavailable as exc:
            logger.error("%(error)s; nothing was scheduled", {"error": exc})
            self.exitcode = 1
            return
        try:
            prefix = index_prefix(self.settings)
            es = elasticsearch_client(self.settings)
            check_region(es, prefix, opts.region)
            registered = read_sites(store, self.settings.get("GOVCRAWL_REDIS_PREFIX"))
            sites = chosen_sites(registered, args, opts.region)
            urls = known_urls(es, prefix, [site.site_id for site in sites])
            scheduled, known = asyncio.run(_schedule(self.settings, sites, urls))
        except (LookupError, ValueError, ServiceUnavailable) as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
            return
        except (TransportError, ApiError) as exc:
            logger.error("Elasticsearch failed (%(error)s): start it (scripts/services.sh start) or fix "
                         "GOVCRAWL_ES_URL; nothing was scheduled", {"error": reason(exc)})
            self.exitcode = 1
            return
        except redis.RedisError as exc:
            logger.error("Redis failed (%(error)s): start it (scripts/services.sh start) or fix "
                         "GOVCRAWL_REDIS_URL", {"error": reason(exc)})
            self.exitcode = 1
            return
        finally:
            store.close()
            if es is not None:
                es.close()
        logger.info("Re-check of %(sites)d sites is due now: their cycle and %(known)d known URLs (pages, "
                    "columns, link targets) will be fetched again; run the crawl, then scrapy report closes "
                    "the cases no longer found", {"sites": scheduled, "known": known})
