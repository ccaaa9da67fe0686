"""Item pipeline: each home page compared with the previous visit's fingerprint (defacement, hijack).

The fingerprints (bottom-k sketches of the home page's link URLs and text blocks) are made by the page
analysis (crawler.extract.darklinks); this pipeline reads the previous visit's from Elasticsearch, one
read per home page, before the indexing pipeline overwrites it (GOVCRAWL_CONTENT_HOME_CHANGE_SIMILARITY).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from elastic_transport import TransportError
from elasticsearch import ApiError, NotFoundError
from scrapy.exceptions import NotConfigured

from crawler import connections
from crawler.content_findings import ContentIssue
from crawler.extract.darklinks import home_change
from crawler.items import PageItem
from crawler.naming import index_name, index_prefix
from pipelines.indexing import document_id

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class HomeChangePipeline:
    """Compares each home page's fingerprint with the previous visit's in Elasticsearch and records an
    abnormal change on the page (GOVCRAWL_CONTENT_HOME_CHANGE_SIMILARITY); runs before indexing."""

    def __init__(self, crawler: Crawler, client: AsyncElasticsearch, *, prefix: str,
                 threshold: float) -> None:
        self.crawler = crawler
        self.client = client
        self.prefix = prefix
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_CONTENT_ENABLED"):
            raise NotConfigured("GOVCRAWL_CONTENT_ENABLED is off: home pages are not compared between visits")
        if not settings.getbool("GOVCRAWL_ES_ENABLED"):
            raise NotConfigured("GOVCRAWL_ES_ENABLED is off: no previous home page to compare with")
        return cls(crawler, connections.elasticsearch_async(settings), prefix=index_prefix(settings),
                   threshold=settings.getfloat("GOVCRAWL_CONTENT_HOME_CHANGE_SIMILARITY"))

    async def process_item(self, item: object) -> object:
        if isinstance(item, PageItem) and item.page_kind == "home" and item.home_links_sketch:
            previous = await self._previous(item.url)
            if previous is not None:
                current = (item.home_links_sketch, item.home_text_sketch)
                change = home_change(previous, current, self.threshold)
                if change is not None:
                    issue = ContentIssue(kind="defacement", severity="serious", found=item.url,
                                         evidence=change, where="home")
                    item.content_issues.append(issue.record())
                    self._stat("govcrawl/content/defacement")
        return item

    async def _previous(self, url: str) -> tuple[list[int], list[int]] | None:
        try:
            answer = await self.client.get(index=index_name(self.prefix, "pages"), id=document_id(url),
                                           source_includes=["home_links_sketch", "home_text_sketch"])
        except NotFoundError:
            return None
        except (ApiError, TransportError) as exc:
            logger.warning("Previous home page %(url)s not read (%(error)s): not compared this visit",
                           {"url": url, "error": exc})
            self._stat("govcrawl/content/home_compare_failed")
            return None
        source = answer.body.get("_source") or {}
        return list(source.get("home_links_sketch") or []), list(source.get("home_text_sketch") or [])

    def _stat(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    async def close_spider(self) -> None:
        await self.client.close()
