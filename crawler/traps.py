"""Spider traps, told by what comes back rather than by counting URLs (GOVCRAWL_CRAWL_TRAP_*).

A real site has thousands of distinct ids on one path (content.jsp?id=…), each a different page; a trap
(an endless calendar, sort and filter permutations, a path that grows, a tag tree) answers many URLs with
the same page. So a page whose own content (crawler.extract.content: its text beyond the site's template, and
its list entries) repeats an earlier page of its URL pattern is stored but its links are not followed,
and a pattern whose pages mostly repeat is closed for the rest of the cycle. The per-site page budget
(GOVCRAWL_CRAWL_MAX_PAGES_PER_SITE) bounds whatever this does not catch.
"""

from __future__ import annotations

import enum
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urljoin, urlsplit

import xxhash

from crawler.extract.content import SiteTemplate

if TYPE_CHECKING:
    from crawler.extract.content import OwnContent
    from crawler.page_analysis import OutLink, PageAnalysis

_RECENT_PAGES_PER_PATTERN = 8
_MAX_PATTERNS_PER_SITE = 2000
_MAX_PATHS_PER_SITE = 5000


def repeats_path_segments(url: str, max_repeats: int) -> bool:
    """True when one path segment occurs more than max_repeats times, e.g. /a/b/a/b/a/b/."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    if not segments:
        return False
    return max(Counter(segments).values()) > max_repeats


def not_found_url(site_url: str, site_id: str) -> str:
    """A page of the site that cannot exist: what the site answers there is its "not found" page."""
    return urljoin(site_url, f"/govcrawl-missing-{xxhash.xxh32_hexdigest(site_id.encode())}.html")


def is_view_of(url: str, page_url: str) -> bool:
    """True when `url` is another view of the page at `page_url`: the same path, with parameters added or
    swapped (?print=1, ?fontsize=16) while every parameter both name keeps the page's value. It answers
    as the page did. Another item of the path (content.jsp?id=6 on id=5) is no view."""
    link, page = urlsplit(url), urlsplit(page_url)
    if (link.netloc, link.path or "/") != (page.netloc, page.path or "/") or link.query == page.query:
        return False
    ours = dict(parse_qsl(page.query, keep_blank_values=True))
    theirs = parse_qsl(link.query, keep_blank_values=True)
    return all(ours.get(name, value) == value for name, value in theirs)


def url_pattern(url: str) -> str:
    """The family a URL belongs to: its first path segment and its query's parameter names.

    content.jsp?id=5 and content.jsp?id=6 share one ("<host>/content.jsp?id"), as do /tag/a/?sort=1
    and /tag/b/?sort=2 ("<host>/tag?sort"); values never count, and neither does depth: a path that
    grows (/docs/a1/b2/c3/…) stays in its family, so a repeating level cuts the way deeper.
    """
    parts = urlsplit(url)
    first = parts.path.split("/")[1] if parts.path.count("/") >= 1 else ""
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return f"{parts.netloc}/{first}?{'&'.join(keys)}"


class Repeat(enum.Enum):
    """How a page repeats an earlier one of its site this cycle."""

    NO = 0
    SIMILAR = 1  # like a recent page of its URL pattern: the way on into the pattern is cut
    SAME = 2  # exactly what another URL of its path showed: nothing of it is new, not even broken links


@dataclass(slots=True)
class _Pattern:
    recent: deque[tuple[str, OwnContent]] = field(
        default_factory=lambda: deque(maxlen=_RECENT_PAGES_PER_PATTERN))
    pages: int = 0
    repeats: int = 0
    closed: bool = False


@dataclass(slots=True)
class _Site:
    cycle: int
    template: SiteTemplate | None = None
    patterns: dict[str, _Pattern] = field(default_factory=dict)
    # Per path (host + path, no query): the exact signature of the pages seen under it, so a list
    # re-sorted or re-addressed by a query (?order=asc&sid=…) is known at its first variant.
    paths: dict[str, dict[int, str]] = field(default_factory=dict)


class ContentTraps:
    """One worker's memory of the sites it crawls this cycle: their template, their answer to a missing
    page, and the recent pages of each URL pattern. Bounded (least recently used sites are forgotten);
    a site handed to another worker is judged there with what that worker learns: until it reads the
    site's home page, only a page repeating another URL of its path exactly."""

    def __init__(self, *, similar: float, min_pages: int, repeat_ratio: float, max_sites: int = 20_000
                 ) -> None:
        self.similar = similar
        self.min_pages = min_pages
        self.repeat_ratio = repeat_ratio
        self.max_sites = max_sites
        self._sites: OrderedDict[str, _Site] = OrderedDict()

    def _site(self, site_id: str, cycle: int) -> _Site:
        site = self._sites.get(site_id)
        if site is None or site.cycle != cycle:
            if site is None and len(self._sites) >= self.max_sites:
                self._sites.popitem(last=False)
            site = self._sites[site_id] = _Site(cycle=cycle, template=site.template if site else None)
        self._sites.move_to_end(site_id)
        return site

    def template(self, site_id: str, cycle: int) -> SiteTemplate | None:
        """What this cycle learned of the site's template, or None before its home page was read."""
        return self._site(site_id, cycle).template

    def learn_home(self, site_id: str, cycle: int, blocks: frozenset[int]) -> None:
        """A new cycle's home page: its blocks are the template; the cycle's patterns start afresh."""
        site = self._site(site_id, cycle)
        site.patterns.clear()
        site.template = SiteTemplate(blocks=blocks)

    def learn_not_found(self, site_id: str, cycle: int, features: frozenset[int] | None) -> None:
        """The site's 200 answer to a page that cannot exist (None: it answers such pages with an error)."""
        site = self._site(site_id, cycle)
        blocks = site.template.blocks if site.template is not None else frozenset()
        site.template = SiteTemplate(blocks=blocks, not_found=features)

    def read(self, site_id: str, cycle: int, url: str, analysis: PageAnalysis, *, home: bool,
             listed: bool = False) -> Repeat:
        """Learn from an analysed page: a home page's blocks become the cycle's template; another page is
        recorded under its path and URL pattern. Says whether it repeats an earlier page.

        `listed`: the page was reached as an entry of a list (a column's, or the home page's). The site
        names it as an item of its own, so however much it looks like the pattern's other pages (a daily
        air-quality report, a monthly bulletin: the same page but its numbers) it is no repeat: its links
        are followed (a look-alike notice's link to a deleted item is a dead link to report), and it does
        not count towards closing the pattern, which on a CMS that keeps every article under one
        directory (/art/) would cut all the site's articles found after it. Only an exact repeat of
        another URL of its path is still told (SAME)."""
        own = analysis.own
        if own is None or analysis.soft404:
            return Repeat.NO
        if home:
            self.learn_home(site_id, cycle, own.features)
            return Repeat.NO
        site = self._site(site_id, cycle)
        same_path = self._same_path(site, url, own)
        if site.template is None or not site.template.blocks:
            # This worker has not read the site's home page this cycle (its shard was handed over): menus
            # and footers would count as every page's own content and every page would look like the next
            # (real articles were closed as a trap), so only an exact repeat of a path is judged.
            return Repeat.SAME if same_path else Repeat.NO
        key = url_pattern(url)
        pattern = site.patterns.get(key)
        if pattern is None:
            if len(site.patterns) >= _MAX_PATTERNS_PER_SITE:
                return Repeat.SAME if same_path else Repeat.NO
            pattern = site.patterns[key] = _Pattern()
        similar = any(own.repeats(earlier, self.similar)
                      for seen_at, earlier in pattern.recent if seen_at != url)
        repeat = same_path or similar
        if listed:
            if not repeat:
                pattern.recent.append((url, own))
            return Repeat.SAME if same_path else Repeat.NO
        pattern.pages += 1
        if repeat:
            pattern.repeats += 1
        else:
            pattern.recent.append((url, own))
        if pattern.pages >= self.min_pages and pattern.repeats >= self.repeat_ratio * pattern.pages:
            pattern.closed = True
        if same_path:
            return Repeat.SAME
        return Repeat.SIMILAR if similar else Repeat.NO

    @staticmethod
    def _same_path(site: _Site, url: str, own: OwnContent) -> bool:
        """True when another URL of this path showed exactly this content (blocks and entries)."""
        parts = urlsplit(url)
        path = f"{parts.netloc}{parts.path}"
        signature = own.exact
        seen = site.paths.get(path)
        if seen is None:
            if len(site.paths) < _MAX_PATHS_PER_SITE:
                site.paths[path] = {signature: url}
            return False
        first = seen.setdefault(signature, url)
        return first != url

    def closed(self, site_id: str, cycle: int, url: str) -> bool:
        """True when the URL's pattern mostly repeated itself this cycle: new URLs of it are traps (but
        not the entries a list shows: the spider offers those whatever this says)."""
        site = self._sites.get(site_id)
        if site is None or site.cycle != cycle:
            return False
        pattern = site.patterns.get(url_pattern(url))
        return pattern is not None and pattern.closed


def split_by_own_pattern(url: str, analysis: PageAnalysis) -> tuple[list[OutLink], list[OutLink]]:
    """A repeating page's links (out of its URL pattern, into it). The way on into the trap is cut: those
    out of it are followed and checked as usual, those into it are not followed, but they are links of a
    real page, so the spider still reports the ones it knows broken."""
    own = url_pattern(url)
    out: list[OutLink] = []
    into: list[OutLink] = []
    for link in analysis.links:
        (into if url_pattern(link.url) == own else out).append(link)
    return out, into
