"""The govsite spider: crawls, checks and probes every registered site via the frontier (GOVCRAWL_CRAWL_*)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import scrapy
import xxhash
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse

from crawler.backdating import BackdatingRule, backdated_issue, first_seen_datetime, shanghai_day
from crawler.clock import today_in_shanghai
from crawler.content_findings import content_dictionaries
from crawler.extract.attachments import (
    SCANNED_EXTENSIONS,
    AttachmentError,
    AttachmentLimits,
    attachment_limits,
    attachment_personal_data,
)
from crawler.extract.links import LinkStatus, classify_exception, classify_response, extension_of
from crawler.items import AckItem, LinkItem, PageItem, ProbeItem
from crawler.middlewares.attachment_reads import ANSWERED, LAST_READ, STOPPED
from crawler.middlewares.network_guard import BlockedAddressError
from crawler.page_analysis import (
    OutLink,
    PageAnalysis,
    PageLimits,
    analyze_page,
    count_on_first_seen,
    dead_column_item,
    list_entries,
    not_found_features,
    same_page_address,
    sent_home,
)
from crawler.scheduler import codec
from crawler.scheduler.frontier import OVER_BUDGET, Offer, retrying
from crawler.scheduler.session import worker_session
from crawler.traps import (
    ContentTraps,
    Repeat,
    is_view_of,
    not_found_url,
    repeats_path_segments,
    split_by_own_pattern,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.extract.wording import Dictionaries
    from crawler.registry import Site
    from crawler.scheduler.frontier import Frontier
    from crawler.scheduler.session import WorkerSession

logger = logging.getLogger(__name__)

_KNOWN_MAX_ENTRIES = 200_000
_KNOWN_TTL_SECONDS = 3600.0
_KnownKey = tuple[str, int, str, bool]  # (site, cycle, link URL, beyond the depth limit)
_Known = tuple[int, codec.History, float]  # (status code, history, expiry on the monotonic clock)
_CHECK_SUFFIX = "#govcrawl-check"
_PROBE_SUFFIX = "#govcrawl-probe"
_CRAWLED = frozenset({"home", "column", "article", "page"})
# HEAD answers these for resources that exist; confirm with GET before calling the link broken.
_HEAD_UNRELIABLE_FROM = 400
# What the HEAD measured is not the GET's; its redirect chain is kept (it classifies where it ended).
_HEAD_ONLY_META = frozenset({"download_latency", "retry_times"})
_CHECK_BY_HEAD = frozenset({"image", "script", "stylesheet", "attachment"})
_CHECK_MAX_BYTES = 4 * 1024 * 1024
# An attachment read is cut at the read's size by crawler/middlewares/attachment_reads.py, which keeps the
# status; Scrapy's own limit (which loses it) sits one socket read (64 KiB in Twisted) above that cut.
_READ_HEADROOM_BYTES = 64 * 1024
_CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class GovsiteSpider(scrapy.Spider):
    """One worker's spider. The frontier schedules home pages; everything else is found from them."""

    name = "govsite"
    # Read from the settings in from_crawler.
    max_depth: int
    max_segment_repeats: int
    traps: ContentTraps
    page_limits: PageLimits
    probe_timeout_seconds: float
    redis_retry_max_seconds: float
    intervals: dict[str, float]
    content_dictionaries: Dictionaries | None  # the content checks' (None: off)
    attachment_limits: AttachmentLimits | None  # how much of an attachment is read (None: not read)
    backdating: BackdatingRule
    conditional_reads: bool  # an attachment read keeps its validators: read again only once it changed

    def __init__(self, *args: Any, once: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.once = once not in (None, "", "0", "false", "no")
        self.session: WorkerSession | None = None  # set in from_crawler
        # Statuses the frontier already answered, per (site, cycle, url, beyond max depth): menus and
        # footers repeat the same links on every page, and Redis would give the same answer again.
        self._known: dict[_KnownKey, _Known] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session = worker_session(crawler)
        settings = crawler.settings
        spider.max_depth = settings.getint("GOVCRAWL_CRAWL_MAX_DEPTH")
        spider.max_segment_repeats = settings.getint("GOVCRAWL_CRAWL_TRAP_MAX_SEGMENT_REPEATS")
        spider.traps = ContentTraps(similar=settings.getfloat("GOVCRAWL_CRAWL_TRAP_SIMILARITY"),
                                    min_pages=settings.getint("GOVCRAWL_CRAWL_TRAP_MIN_PAGES"),
                                    repeat_ratio=settings.getfloat("GOVCRAWL_CRAWL_TRAP_REPEAT_RATIO"))
        spider.page_limits = PageLimits(max_links=settings.getint("GOVCRAWL_CRAWL_MAX_PAGE_LINKS"),
                                        max_text_chars=settings.getint("GOVCRAWL_CRAWL_MAX_PAGE_TEXT_CHARS"))
        spider.probe_timeout_seconds = settings.getfloat("GOVCRAWL_CRAWL_TIMEOUT_SECONDS")
        spider.redis_retry_max_seconds = settings.getfloat("GOVCRAWL_REDIS_RETRY_MAX_SECONDS")
        spider.content_dictionaries = content_dictionaries(settings)
        spider.attachment_limits = attachment_limits(settings)
        spider.backdating = BackdatingRule(days=settings.getint("GOVCRAWL_CRAWL_BACKDATED_DAYS"),
                                           grace_days=settings.getint("GOVCRAWL_CRAWL_BACKDATED_GRACE_DAYS"))
        spider.conditional_reads = settings.getbool("GOVCRAWL_CRAWL_CONDITIONAL_ENABLED")
        spider.intervals = {
            "home": settings.getfloat("GOVCRAWL_FRONTIER_CYCLE_SECONDS"),
            "probe": settings.getfloat("GOVCRAWL_FRONTIER_PROBE_SECONDS"),
            "article": settings.getfloat("GOVCRAWL_FRONTIER_ARTICLE_SECONDS"),
            "page": settings.getfloat("GOVCRAWL_FRONTIER_CYCLE_SECONDS"),
            "check": settings.getfloat("GOVCRAWL_FRONTIER_CYCLE_SECONDS"),
            "column": settings.getfloat("GOVCRAWL_FRONTIER_COLUMN_MIN_SECONDS"),
        }
        return spider

    @property
    def sites(self) -> dict[str, Site]:
        """The registry as this worker last read it (the session reloads it every minute)."""
        return self.session.sites if self.session is not None else {}

    @property
    def frontier(self) -> Frontier | None:
        """The frontier client, once the session is open."""
        return self.session.frontier if self.session is not None else None

    async def start(self) -> AsyncIterator[Any]:
        # Home pages come from the frontier's schedule (`scrapy seed` makes every site due).
        return
        yield

    # --- requests -------------------------------------------------------------------------------------
    def home_request(self, site: Site, *, probe: bool, cycle: int) -> dict[str, Any]:
        """The frontier's dict form of a site's home-page request: a probe, or the start of a cycle."""
        meta: dict[str, Any] = {"site_id": site.site_id, "page_kind": "probe" if probe else "home",
                                "depth": 0, "cycle": cycle,
                                "govcrawl_url": site.url + (_PROBE_SUFFIX if probe else "")}
        if probe:
            # V-AVAIL probes are exempt from robots rules and judged on the official 15 s limit.
            meta.update(dont_obey_robotstxt=True, download_timeout=self.probe_timeout_seconds)
        return codec.request_dict(site.url, callback="parse_probe" if probe else "parse", errback="on_error",
                                  meta=meta)

    def _crawl_kind(self, link: OutLink, *, same_host: bool, depth: int) -> str:
        """How a link is followed: crawled as part of its site, or only checked."""
        if link.crawl != "check" and (not same_host or depth > self.max_depth):
            return "check"
        return link.crawl

    @staticmethod
    def _frontier_url(url: str, crawl: str) -> str:
        """The URL the frontier knows the request by.

        A link check has its own namespace, so checking a URL (linked from another site, or from too
        deep) never takes the place of crawling it as a page of its own site.
        """
        return url + _CHECK_SUFFIX if crawl == "check" else url

    def _child(self, link: OutLink, *, site: Site, parent: dict[str, Any], on_homepage: bool,
               new_since: codec.Listed | None = None) -> Offer | None:
        """The frontier's offer for a link of a page; None for a trap.

        `new_since`: the link is an entry its list did not show at its previous read, that read (when and
        the oldest date it showed, kept in the request for the backdating guard of the item's own page).
        """
        depth = parent["depth"] + 1
        host = urlsplit(link.url).hostname or ""
        same_host = host == site.host
        crawl = self._crawl_kind(link, same_host=same_host, depth=depth)
        if same_host and repeats_path_segments(link.url, self.max_segment_repeats):
            self._stat("govcrawl/skipped/trap")
            return None
        # A list's entries are the site's own items: a closed pattern does not cut them (crawler/traps.py).
        # Another link into it is not followed, but checked: a real page showed it, and a pattern is closed
        # by what most of its pages did, so this one may be a deleted item (a soft 404) or a dead link.
        if same_host and crawl != "check" and link.crawl != "article" \
                and self.traps.closed(site.site_id, parent["cycle"], link.url):
            self._stat("govcrawl/skipped/trap")
            # A view of this very page (its print or font-size version) answers as the page just did.
            # Checking one per article would spend the host's link-check budget
            # (GOVCRAWL_CRAWL_MAX_CHECKS_PER_HOST) before the images and files the pages show.
            if is_view_of(link.url, parent["govcrawl_url"]):
                return None
            crawl = "check"
        meta: dict[str, Any] = {
            "site_id": site.site_id, "page_kind": crawl, "depth": depth, "cycle": parent["cycle"],
            "govcrawl_url": self._frontier_url(link.url, crawl), "target_kind": link.target_kind,
        }
        if link.column_name is not None:
            meta["column_name"] = link.column_name
        if link.column_level is not None:
            meta["column_level"] = link.column_level
        if link.column_url is not None:
            meta["column_url"] = link.column_url
        if link.listing_date is not None:
            meta["listing_date"] = link.listing_date.isoformat()
            if link.listing_year_guessed:
                meta["listing_guessed"] = True
        if link.lists_column:
            meta["lists_column"] = True
        if link.framed:
            meta["framed"] = True
        if new_since is not None and crawl == "article":
            meta["govcrawl_new_since"] = dataclasses.replace(new_since, entries=frozenset()).record()
        method = "GET"
        callback = "parse"
        waiter = self._waiter(link, site=site, parent=parent, on_homepage=on_homepage)
        if crawl == "check":
            callback = "parse_check"
            # A link check is re-run every cycle, so it is not retried; checking one linked URL of
            # another host is not crawling it, so that host's robots.txt is not fetched for it.
            meta.update(download_maxsize=_CHECK_MAX_BYTES, dont_retry=True, dont_obey_robotstxt=not same_host)
            if self.attachment_limits is not None and same_host and link.target_kind == "attachment" \
                    and extension_of(link.url) in SCANNED_EXTENSIONS:
                # One GET checks the link and reads the file for personal data (I-PRIVACY), reported on
                # the page that linked it; the download is cut at the read's size, keeping its status.
                meta.update(govcrawl_read=True, govcrawl_waiter=waiter, download_maxsize=max(
                    _CHECK_MAX_BYTES, self.attachment_limits.max_bytes + _READ_HEADROOM_BYTES))
            elif link.target_kind in _CHECK_BY_HEAD:
                method = "HEAD"
        return Offer(
            url=self._frontier_url(link.url, crawl), host=host,
            site_id=site.site_id if crawl != "check" else "@check",
            request=codec.request_dict(link.url, callback=callback, errback="on_error", meta=meta,
                                       method=method),
            # A column's adaptive interval is set when it settles; until then it waits the shortest one.
            interval_seconds=self.intervals.get(crawl, self.intervals["page"]),
            waiter=waiter,
            first_seen=crawl in ("article", "page"),
            seen_if_refused=crawl == "article" and link.listing_date is not None,
        )

    @staticmethod
    def _waiter(link: OutLink, *, site: Site, parent: dict[str, Any], on_homepage: bool) -> dict[str, Any]:
        """The stored record of the page reported if the target turns out broken (codec.Waiter)."""
        # A frame's file holds its own links; a page the address led to (a redirect, a splash page's meta
        # refresh) holds the links read from it.
        found_on = public_url(link.found_on or parent.get("govcrawl_found_on") or parent["govcrawl_url"])
        return codec.Waiter(site_id=site.site_id, found_on=found_on,
                            on_homepage=on_homepage, target_kind=link.target_kind,
                            anchor_text=link.anchor_text[:200], cycle=parent["cycle"], region=site.region,
                            level=site.level).record()

    # --- callbacks --------------------------------------------------------------------------------
    async def parse(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        site = self.sites.get(meta["site_id"])
        if site is None:
            async for item in self._finish(response.request, status=codec.SKIPPED, kind="page"):
                yield item
            return
        if response.status == 304:
            # A column page unchanged since its last fetch: its interval grows, nothing is parsed, and its
            # list counts as read now, showing what it showed before.
            async for item in self._finish(response.request, status=codec.OK, kind="column", content_hash="",
                                           list_unchanged=True):
                yield item
            return
        fetched_at = datetime.now(UTC)
        listing = meta.get("listing_date")
        kind = meta["page_kind"]
        cycle = meta["cycle"]
        analysis = analyze_page(
            body=response.body, url=meta["govcrawl_url"], final_url=response.url, status=response.status,
            content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"), site=site,
            page_kind=meta["page_kind"], depth=meta["depth"], column_name=meta.get("column_name"),
            column_level=meta.get("column_level"), column_url=meta.get("column_url"),
            listing_date=date.fromisoformat(listing) if listing else None, today=today_in_shanghai(),
            fetched_at=fetched_at, limits=self.page_limits,
            template=None if kind == "home" else self.traps.template(site.site_id, cycle),
            lists_column=meta.get("lists_column", False), framed=meta.get("framed", False),
            listing_year_guessed=meta.get("listing_guessed", False),
            dictionaries=self.content_dictionaries, redirects=meta.get("redirect_urls", ()),
        )
        page = analysis.page
        repeat = self.traps.read(site.site_id, cycle, meta["govcrawl_url"], analysis, home=kind == "home",
                                 listed=kind == "article")
        page.repeated = repeat is not Repeat.NO
        # A page showing exactly what another URL of its path showed is that page again: its broken
        # links were reported there.
        report_known = repeat is not Repeat.SAME
        if page.repeated:
            self._stat("govcrawl/skipped/repeated_page")
        for limit in page.capped:
            self._stat(f"govcrawl/skipped/capped_{limit}")
            logger.info("Page %(url)s cut at the %(limit)s limit (GOVCRAWL_CRAWL_MAX_PAGE_*): "
                        "the rest is not read", {"url": response.url, "limit": limit})
        page.cycle = cycle
        status = codec.status_code(response.status, "soft404" if analysis.soft404 else None)
        answered = response.status < 400 and not analysis.soft404
        listed = _listed(meta)
        entries = list_entries(analysis) if answered else []
        if not analysis.soft404 and not same_page_address(meta["govcrawl_url"], response.url):
            # Led to another page: its links are reported found on the page that holds them, and the report
            # ends them when a later read of this address leads there again (PageItem.read_url).
            meta["govcrawl_found_on"] = page.read_url = response.url
        known_broken, offers, keys = self._page_offers(analysis, site=site, meta=meta, listed=listed) \
            if answered else ([], [], [])
        history = _history(meta)
        newly_backdated = self._read_backdating(page, meta, history)
        settled = await self._settle_links(
            meta, status, kind, content_hash=_change_signature(analysis), offers=offers, keys=keys,
            report_known=report_known, backdated=newly_backdated,
            entries=_shown(analysis) if answered and page.page_kind in ("home", "column") else None,
            shown=_shown_range(analysis, entries, meta))
        if entries and listed is not None:
            await self._backdated_entries(analysis, entries, listed, offers, settled.histories, site=site,
                                          meta=meta)
        yield page
        for item in analysis.items:
            yield item
        if kind == "home":
            yield self._probe(site, response, ok=answered, started_at=fetched_at)
        if report_known:
            for item in known_broken:
                yield item
        for item in settled.link_items:
            yield item
        async for item in self._done(response.request):
            yield item

    def _page_offers(self, analysis: PageAnalysis, *, site: Site, meta: dict[str, Any],
                     listed: codec.Listed | None
                     ) -> tuple[list[LinkItem], list[Offer], list[_KnownKey | None]]:
        """What an answered page offers the frontier (see _offers). A repeating page's links into its own
        URL pattern are not followed, but reported when their status is known or pending."""
        links, into_pattern = (split_by_own_pattern(meta["govcrawl_url"], analysis) if analysis.page.repeated
                               else (analysis.links, []))
        known_broken, offers, keys = self._offers(links, site=site, meta=meta, listed=listed)
        if into_pattern:
            more_broken, more_offers, more_keys = self._offers(into_pattern, site=site, meta=meta,
                                                               listed=None, report_only=True)
            known_broken += more_broken
            offers += more_offers
            keys += more_keys
        if meta["page_kind"] == "home":
            # Fetched first of the site's pages: later pages are compared with its answer.
            offers.insert(0, self._not_found_request(site, meta["cycle"]))
            keys.insert(0, None)
        return known_broken, offers, keys

    def _read_backdating(self, page: PageItem, meta: dict[str, Any], history: codec.History) -> bool:
        """Set the page's first-seen time and backdated flag (crawler.backdating); True when it is found
        backdated now, so the frontier keeps the verdict."""
        if history.first_seen is None:
            return False
        page.first_seen_at = first_seen_datetime(history.first_seen)
        if page.page_kind != "article":
            return False
        listing = meta.get("listing_date")
        published = page.pub_date or (date.fromisoformat(listing) if listing else None)
        new_since = codec.Listed.from_record(meta["govcrawl_new_since"]) if "govcrawl_new_since" in meta \
            else None
        found_now = new_since is not None and not history.backdated and self.backdating.backdated(
            published, history.first_seen, new_since.read_at, new_since.oldest, new_since.newest)
        if (history.backdated or found_now) and published is not None:
            page.backdated = True
            page.content_issues.append(backdated_issue(
                published, history.first_seen, new_since.read_at if new_since is not None else None).record())
            self._stat("govcrawl/content/backdated")
        return found_now

    async def _backdated_entries(self, analysis: PageAnalysis, entries: Sequence[OutLink],
                                 listed: codec.Listed, offers: Sequence[Offer],
                                 histories: Sequence[codec.History], *, site: Site,
                                 meta: dict[str, Any]) -> None:
        """Judge a list page's dated entries (crawler.backdating): those backdated count for its freshness
        on the day they were first seen, and the frontier keeps the verdicts found now. An item found now is
        fetched again at once (forced), so its own stored page says so without waiting for its next visit:
        another list may have queued it already, with a request that knew nothing of the verdict."""
        remembered = {offer.url: history for offer, history in zip(offers, histories, strict=True)}
        offered = {offer.url: offer for offer in offers}
        deep = meta["depth"] + 1 > self.max_depth
        first_seen_days = []
        found: list[OutLink] = []
        for entry in entries:
            history = remembered.get(entry.url)
            if history is None:
                known = self._known.get((site.site_id, meta["cycle"], entry.url, deep))
                history = known[1] if known is not None else codec.NO_HISTORY
            if history.first_seen is None or entry.listing_date is None:
                continue
            found_now = not history.backdated and not listed.shows(entry.url) and self.backdating.backdated(
                entry.listing_date, history.first_seen, listed.read_at, listed.oldest, listed.newest)
            if history.backdated or found_now:
                first_seen_days.append(shanghai_day(history.first_seen))
            if found_now:
                found.append(entry)
        if found:
            assert self.frontier is not None
            frontier = self.frontier
            marked = [(entry.url, urlsplit(entry.url).hostname or "") for entry in found]
            await retrying(lambda: frontier.mark_backdated(marked), what="backdating",
                           max_wait_seconds=self.redis_retry_max_seconds)
            again = [dataclasses.replace(offer, force=True) for offer in (
                offered.get(entry.url) or self._child(entry, site=site, parent=meta, on_homepage=False)
                for entry in found) if offer is not None]
            await retrying(lambda: frontier.admit(again), what="backdating",
                           max_wait_seconds=self.redis_retry_max_seconds)
            self._stat("govcrawl/content/backdated_entries", len(found))
        count_on_first_seen(analysis, first_seen_days, today_in_shanghai())

    def _not_found_request(self, site: Site, cycle: int) -> Offer:
        """A request for a page of the site that cannot exist (crawler.traps.not_found_url)."""
        url = not_found_url(site.url, site.site_id)
        meta = {"site_id": site.site_id, "page_kind": "not_found", "depth": 1, "cycle": cycle,
                "govcrawl_url": url, "dont_retry": True}
        request = codec.request_dict(url, callback="parse_not_found", errback="on_error", meta=meta)
        return Offer(url=url, host=urlsplit(url).hostname or "", site_id=site.site_id, request=request,
                    interval_seconds=self.intervals["page"])

    async def parse_not_found(self, response: Response) -> AsyncIterator[Any]:
        """Learn the site's answer to a missing page: soft 404s of the cycle are compared with it."""
        meta = response.meta
        site = self.sites.get(meta["site_id"])
        if site is not None:
            cycle = meta["cycle"]
            features = not_found_features(
                body=response.body, status=response.status,
                content_type=(response.headers.get(b"Content-Type") or b"").decode("latin-1"),
                template=self.traps.template(site.site_id, cycle))
            self.traps.learn_not_found(site.site_id, cycle, features)
        async for item in self._finish(response.request, status=codec.OK, kind="page"):
            yield item

    async def parse_probe(self, response: Response) -> AsyncIterator[Any]:
        site = self.sites.get(response.meta["site_id"])
        if site is not None:
            body = response.text[:4096] if isinstance(response, TextResponse) else ""
            outcome = classify_response(response.status, response.url, body,
                                        (response.headers.get(b"Content-Type") or b"").decode("latin-1"),
                                        response.meta.get("redirect_urls", ()))
            yield self._probe(site, response, ok=outcome.ok, started_at=datetime.now(UTC))
        async for item in self._finish(response.request, status=codec.OK, kind="probe"):
            yield item

    async def parse_check(self, response: Response) -> AsyncIterator[Any]:
        request = response.request
        assert request is not None
        if request.meta.get("govcrawl_read"):
            async for item in self._check_and_read(response):
                yield item
            return
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        page_for_file = response.meta.get("target_kind") == "attachment" and "html" in content_type.lower()
        if request.method == "HEAD" and (response.status >= _HEAD_UNRELIABLE_FROM or page_for_file):
            # Many servers refuse or mis-answer HEAD: confirm with a GET before calling it broken. An
            # attachment announced as a web page too: a file mislabelled text/html shows itself in its body.
            yield request.replace(method="GET", meta={key: value for key, value in request.meta.items()
                                                      if key not in _HEAD_ONLY_META})
            return
        outcome = self._link_status(response)
        async for item in self._finish(request, status=codec.status_code(outcome.status, outcome.error),
                                       kind="check"):
            yield item

    async def _check_and_read(self, response: Response) -> AsyncIterator[Any]:
        """The one GET of an attachment read: the link's status, and the file read if it is new or changed.

        A 304, or a download cut as unchanged, is the file read last time: its stored record (the numbers
        it showed, or none) stays the newest and keeps standing for it in the report.
        """
        outcome = self._link_status(response)
        if response.status == 304:
            self._stat("govcrawl/content/attachment_unchanged")
        elif outcome.ok and 200 <= response.status < 300:
            if "download_stopped" not in response.flags:
                async for item in self._read_attachment(response):
                    yield item
            elif response.meta.get(STOPPED) == "unchanged":
                self._stat("govcrawl/content/attachment_unchanged")
            else:  # larger than GOVCRAWL_CONTENT_ATTACHMENT_MAX_BYTES: the link works, the file is not read
                self._stat("govcrawl/content/attachment_not_read")
        status = codec.status_code(outcome.status, outcome.error)
        async for item in self._finish(response.request, status=status, kind="check"):
            yield item

    def _link_status(self, response: Response) -> LinkStatus:
        """A link check's answer classified (an attachment answered by a web page is a soft 404, and so is
        a page of the site that sends the reader to its home page, by HTTP or by meta refresh, as a page
        of the crawl would be)."""
        body = response.text if isinstance(response, TextResponse) else ""
        redirects = response.meta.get("redirect_urls", ())
        outcome = classify_response(
            response.status, response.url, body, _header(response, b"Content-Type"), redirects,
            body_size_bytes=len(response.body), kind=response.meta.get("target_kind"),
        )
        site = self.sites.get(response.meta.get("site_id", ""))
        if outcome.ok and redirects and site is not None and response.meta.get("target_kind") == "page" \
                and sent_home(redirects[0], response.url, site, redirects):
            outcome = LinkStatus(ok=False, status=response.status, error="soft404", confirmed=False)
        self._stat(f"govcrawl/links/checked/{outcome.error or 'ok'}")
        return outcome

    async def _read_attachment(self, response: Response) -> AsyncIterator[LinkItem]:
        """The attachment's link record (ok, as found on the page that linked it) with the personal data its
        text shows, masked (none: empty lists)."""
        meta = response.meta
        site, limits = self.sites.get(meta["site_id"]), self.attachment_limits
        url = public_url(meta["govcrawl_url"])
        if site is None or limits is None:
            return
        try:
            reading = asyncio.to_thread(attachment_personal_data, response.body, extension_of(url), limits,
                                        today=today_in_shanghai())
            found = await asyncio.wait_for(reading, timeout=2 * limits.max_seconds)
        except TimeoutError:
            self._stat("govcrawl/content/attachment_timeout")
            logger.info("Attachment %(url)s not read within %(seconds)s s",
                        {"url": url, "seconds": limits.max_seconds})
            return
        except AttachmentError as exc:
            self._stat("govcrawl/content/attachment_unreadable")
            logger.debug("Attachment %(url)s not read: %(error)s", {"url": url, "error": exc})
            return
        self._stat("govcrawl/content/attachment_read")
        record = meta.get("govcrawl_waiter")
        if record is not None:  # stored even when clean: an attachment cleaned since stops being reported
            if self.conditional_reads:
                # Stored with the acknowledgement, after this record: while the file answers the same, it
                # is not read again and this record stands for it (crawler/middlewares/attachment_reads.py).
                etag, modified = _header(response, b"ETag"), _header(response, b"Last-Modified")
                length = _header(response, b"Content-Length") or ""
                meta.update(govcrawl_validators=(etag, modified),
                            govcrawl_read_length=int(length) if length.isdigit() else None)
            waiter = codec.Waiter.from_record(record)
            yield LinkItem(site_id=site.site_id, url=url, found_on=waiter.found_on,
                           on_homepage=waiter.on_homepage, target_kind="attachment",
                           checked_at=datetime.now(UTC), ok=True,
                           status=response.status, anchor_text=waiter.anchor_text, cycle=waiter.cycle,
                           region=site.region, level=site.level, id_numbers=list(found.id_numbers),
                           mobiles=list(found.mobiles))

    async def on_error(self, failure: Failure) -> AsyncIterator[Any]:
        # Scrapy attaches the failed request to the Failure; Twisted's type does not declare it.
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        kind = meta.get("page_kind", "page")
        if meta.get("govcrawl_read") and meta.get(ANSWERED):
            # The server answered, but the file did not arrive whole (a timeout mid-body, a decompression
            # limit): its status is not known, so the link is checked by HEAD like a file that is not read.
            self._stat("govcrawl/content/attachment_not_read")
            headers = request.headers.copy()
            for name in _CONDITIONAL_HEADERS:
                headers.pop(name, None)
            check = {key: value for key, value in meta.items() if not key.startswith("govcrawl_read")
                     and key not in _HEAD_ONLY_META and key not in (LAST_READ, "govcrawl_waiter")}
            yield request.replace(method="HEAD", headers=headers,
                                  meta={**check, "download_maxsize": _CHECK_MAX_BYTES})
            return
        if isinstance(failure.value, BlockedAddressError):
            # The network guard refused the host or a redirect hop: a record of its own, not a silent skip.
            error = "blocked_redirect" if meta.get("redirect_urls") else "blocked"
            async for item in self._failed(request, status=None, error=error):
                yield item
            return
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in str(failure.value):
            self._stat("govcrawl/skipped/refused")
            async for item in self._finish(request, status=codec.SKIPPED, kind=kind):
                yield item
            return
        outcome = classify_exception(failure, url=request.url, redirect_urls=meta.get("redirect_urls", ()))
        async for item in self._failed(request, status=outcome.status, error=outcome.error):
            yield item

    async def parse_unbuildable(self, response: Response) -> AsyncIterator[Any]:
        """A frontier request that could not be rebuilt (a port out of range, say): recorded, then done.

        The scheduler sends a `data:` stand-in carrying the request's meta, so the record and the
        acknowledgement take the ordinary way.
        """
        assert response.request is not None
        async for item in self._failed(response.request, status=None, error="invalid_url"):
            yield item

    async def recover(self, request: scrapy.Request, response: Response, exception: Exception
                      ) -> AsyncIterator[Any]:
        """The records of a fetched page whose analysis raised (crawler.middlewares.acknowledge).

        The site answered, so the URL settles with its HTTP status (its links are not reported broken
        for our failure); the page is stored with error `parse_error` and the request acknowledged.
        """
        meta = request.meta
        kind = meta.get("page_kind", "page")
        self._stat("govcrawl/crawl/failed/parse_error")
        site = self.sites.get(meta.get("site_id", ""))
        if site is not None and kind in _CRAWLED:
            yield PageItem(site_id=site.site_id, url=meta["govcrawl_url"], status=response.status,
                           error="parse_error", fetched_at=datetime.now(UTC),
                           page_kind=kind if kind != "page" else "other", final_url=response.url,
                           body_bytes=len(response.body), depth=meta.get("depth", 0),
                           cycle=meta.get("cycle", 0), region=site.region, level=site.level,
                           column_url=meta.get("column_url"))
        async for item in self._finish(request, status=codec.status_code(response.status, None), kind=kind):
            yield item

    async def _failed(self, request: scrapy.Request, *, status: int | None, error: str | None
                      ) -> AsyncIterator[Any]:
        """The records of a request that got no answer: probe, page, dead column; then settle and ack."""
        meta = request.meta
        kind = meta.get("page_kind", "page")
        self._stat(f"govcrawl/crawl/failed/{error or 'other'}")
        site = self.sites.get(meta.get("site_id", ""))
        now = datetime.now(UTC)
        if site is not None and kind in ("home", "probe"):
            yield ProbeItem(site_id=site.site_id, url=site.url, started_at=now, ok=False,
                            elapsed_ms=int(1000 * meta.get("download_latency", 0.0)),
                            http_status=status, error=_probe_error(error), region=site.region,
                            level=site.level)
        if site is not None and kind in _CRAWLED:
            yield PageItem(site_id=site.site_id, url=meta["govcrawl_url"], status=status or 0, error=error,
                           fetched_at=now, page_kind=kind if kind != "page" else "other",
                           depth=meta.get("depth", 0), cycle=meta.get("cycle", 0), region=site.region,
                           level=site.level, column_url=meta.get("column_url"))
        lists_column = meta.get("lists_column", False)
        if site is not None and kind == "column" and (
                lists_column or meta.get("column_url") in (None, meta["govcrawl_url"])):
            # V-EMPTY: a column whose own link (or the address its list loads from) is dead is empty.
            column_url = meta["column_url"] if lists_column else meta["govcrawl_url"]
            yield dead_column_item(site=site, url=column_url, name=meta.get("column_name") or "",
                                   level=meta.get("column_level") or 1, today=today_in_shanghai(),
                                   checked_at=now)
        async for item in self._finish(request, status=codec.status_code(status, error), kind=kind):
            yield item

    # --- frontier bookkeeping ---------------------------------------------------------------------
    async def _finish(self, request: scrapy.Request | None, *, status: int, kind: str,
                      content_hash: str = "-", list_unchanged: bool = False) -> AsyncIterator[Any]:
        assert request is not None
        settled = await self._settle_links(request.meta, status, kind, content_hash=content_hash,
                                           list_unchanged=list_unchanged)
        for item in settled.link_items:
            yield item
        async for ack in self._done(request):
            yield ack

    async def _settle_links(self, meta: dict[str, Any], status: int, kind: str, content_hash: str = "-", *,
                            offers: Sequence[Offer] = (), keys: Sequence[_KnownKey | None] = (),
                            report_known: bool = True, backdated: bool = False,
                            entries: Sequence[str] | None = None,
                            shown: tuple[date | None, date | None] = (None, None),
                            list_unchanged: bool = False) -> _Settled:
        """Record this URL's outcome and offer its links, in one round trip.

        Its link items: one for every page that linked to this URL while it was pending, if it is broken,
        and (with `report_known`) one for every offered link whose status is already known and broken.
        `backdated`, `entries`, `shown` and `list_unchanged` go to the frontier
        (Frontier.settle_and_admit).
        """
        assert self.frontier is not None
        url = meta["govcrawl_url"]
        interval = None if kind == "column" else self.intervals.get(kind, self.intervals["page"])
        frontier = self.frontier
        waiters, answers = await retrying(
            lambda: frontier.settle_and_admit(url=url, host=urlsplit(url).hostname or "", status=status,
                                              kind_interval_seconds=interval, content_hash=content_hash,
                                              links=offers, backdated=backdated, entries=entries,
                                              shown=shown, list_unchanged=list_unchanged),
            what="settle", max_wait_seconds=self.redis_retry_max_seconds)
        settled = _Settled(link_items=[], histories=[history for _, history in answers])
        if codec.is_broken(status):
            settled.link_items.extend(_link_item(url, waiter, status) for waiter in waiters)
        if len(self._known) > _KNOWN_MAX_ENTRIES:
            self._known.clear()
        expires = time.monotonic() + _KNOWN_TTL_SECONDS
        for offer, known_key, (code, history) in zip(offers, keys, answers, strict=True):
            if code > 0 and known_key is not None:
                self._known[known_key] = (code, history, expires)
            if code > 0 and codec.is_broken(code) and report_known:
                assert offer.waiter is not None
                settled.link_items.append(_link_item(offer.url, offer.waiter, code))
            elif code == OVER_BUDGET:
                self._stat("govcrawl/skipped/check_budget" if offer.site_id == "@check"
                           else "govcrawl/skipped/page_budget")
        return settled

    def _offers(self, links: list[OutLink], *, site: Site, meta: dict[str, Any], listed: codec.Listed | None,
                report_only: bool = False) -> tuple[list[LinkItem], list[Offer], list[_KnownKey | None]]:
        """(LinkItems of known broken links, the links to offer the frontier, their cache keys).

        Links whose status was settled earlier in this cycle of the site are not offered again: Redis
        would answer the same, so the status is taken from this worker's cache. `listed`: the page's
        previous read as a list, if any. `report_only`: the links are not followed (Offer.report_only).
        """
        known_broken: list[LinkItem] = []
        offers: list[Offer] = []
        keys: list[_KnownKey | None] = []
        # A page the home page shows in a frame is a part of it: its links are on the home page too.
        on_homepage = meta["page_kind"] == "home" or (meta.get("framed", False) and meta["depth"] == 1)
        now = time.monotonic()
        deep = meta["depth"] + 1 > self.max_depth  # then even a same-host link is only checked
        for link in links:
            key = (site.site_id, meta["cycle"], link.url, deep)
            known = self._known.get(key)
            if known is not None and known[2] > now:
                if codec.is_broken(known[0]):
                    known_broken.append(_link_item(link.url, self._waiter(link, site=site, parent=meta,
                                                                          on_homepage=on_homepage), known[0]))
                continue
            new_since = listed if listed is not None and link.crawl == "article" \
                and not listed.shows(link.url) else None
            child = self._child(link, site=site, parent=meta, on_homepage=on_homepage, new_since=new_since)
            if child is not None and report_only:
                child.report_only, child.first_seen, child.seen_if_refused = True, False, False
            if child is not None:
                offers.append(child)
                # A column's status is not final within a cycle: it revisits adaptively.
                keys.append(None if link.crawl == "column" else key)
        return known_broken, offers, keys

    async def _done(self, request: scrapy.Request | None) -> AsyncIterator[AckItem]:
        assert request is not None
        token = request.meta.get("govcrawl_token")
        if token is not None:
            etag, modified = request.meta.get("govcrawl_validators") or (None, None)
            yield AckItem(token[0], token[1], url=request.meta.get("govcrawl_url", ""), etag=etag,
                          modified=modified, length=request.meta.get("govcrawl_read_length"))

    def _probe(self, site: Site, response: Response, *, ok: bool, started_at: datetime) -> ProbeItem:
        return ProbeItem(site_id=site.site_id, url=site.url, started_at=started_at, ok=ok,
                         elapsed_ms=int(1000 * response.meta.get("download_latency", 0.0)),
                         http_status=response.status, final_url=response.url,
                         error=None if ok else "http", body_bytes=len(response.body), region=site.region,
                         level=site.level)

    def _stat(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)


@dataclass(slots=True)
class _Settled:
    """What settling a URL gave: the link items to store, and the history of each link offered."""

    link_items: list[LinkItem]
    histories: list[codec.History]


def _shown_range(analysis: PageAnalysis, entries: Sequence[OutLink], meta: dict[str, Any]
                 ) -> tuple[date | None, date | None]:
    """The dates that bound which items a list page shows (crawler.backdating), (None, None) for a whole
    list on one page or a list without dates. A home page's blocks and a column's first page show the
    newest items: the oldest date bounds them. A later page of a column shows a slice: items move into
    it from the page before as new ones come, so its newest date bounds it too."""
    first_page = meta.get("column_url") in (None, meta.get("govcrawl_url"))
    # A later page of a column is part of a paginated list even when it links no further page (the last).
    if analysis.page.page_kind != "home" and not analysis.list_continues and first_page:
        return None, None
    dates = [entry.listing_date for entry in entries if entry.listing_date is not None]
    if not dates:
        return None, None
    return min(dates), None if analysis.page.page_kind == "home" or first_page else max(dates)


def _shown(analysis: PageAnalysis) -> list[str]:
    """What a list page showed, for its next read to tell new entries: every page it links, not only the
    entries this read recognised (a list read differently next time must not make old items new)."""
    return [link.url for link in analysis.links if link.crawl in ("article", "page")]


def _history(meta: dict[str, Any]) -> codec.History:
    """What the frontier remembered of a request's URL when it handed it out (Frontier.pop)."""
    remembered = meta.get("govcrawl_history")
    if not remembered:
        return codec.NO_HISTORY
    return codec.History(first_seen=remembered[0], backdated=remembered[1])


def _listed(meta: dict[str, Any]) -> codec.Listed | None:
    """A list page's previous read, as the frontier handed it out with the request (Frontier.pop)."""
    remembered = meta.get("govcrawl_listed")
    return codec.Listed.from_record(remembered) if remembered else None


def _change_signature(analysis: PageAnalysis) -> str:
    """What makes a column page 'changed': its list of entries, not banners that print today's date."""
    entries = sorted(f"{link.url} {link.listing_date}" for link in analysis.links if link.crawl == "article")
    if not entries:
        return analysis.page.content_hash
    return xxhash.xxh64_hexdigest("\n".join(entries).encode("utf-8"))


_PROBE_ERRORS = {"dns": "dns", "refused": "tcp", "tls": "tls", "timeout": "timeout"}
# Refusals and limits keep their own kind on probes too, so the report can name them.
_OWN_PROBE_ERRORS = frozenset({"invalid_url", "too_large", "decompression_limit", "blocked",
                               "blocked_redirect", "redirect_loop", "too_many_redirects"})


def _probe_error(error: str | None) -> str:
    """Probe errors use docs/checks.md's words: dns / tcp / tls / timeout / http."""
    if error is None:
        return "tcp"
    if error in _OWN_PROBE_ERRORS:
        return error
    return _PROBE_ERRORS.get(error, "http")


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def public_url(url: str) -> str:
    """A frontier URL without the namespace suffix of probes and link checks."""
    return url.removesuffix(_CHECK_SUFFIX).removesuffix(_PROBE_SUFFIX)


def _link_item(url: str, record: dict[str, Any], code: int) -> LinkItem:
    status, error, confirmed = codec.describe(code)
    waiter = codec.Waiter.from_record(record)
    return LinkItem(site_id=waiter.site_id, url=public_url(url), found_on=waiter.found_on,
                    on_homepage=waiter.on_homepage,
                    target_kind=waiter.target_kind,  # type: ignore[arg-type]  # an OutLink's TargetKind
                    checked_at=datetime.now(UTC), ok=False, status=status,
                    error=error,  # type: ignore[arg-type]  # codec.describe only yields LinkError names
                    confirmed=confirmed, anchor_text=waiter.anchor_text, cycle=waiter.cycle,
                    region=waiter.region, level=waiter.level)
