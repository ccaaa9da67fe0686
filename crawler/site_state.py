"""Build the SiteState of every site from Elasticsearch, in batches of site ids (GOVCRAWL_ES_INDEX_PREFIX).

Memory stays bounded by the batch: sites are paged with search_after, probe and home-page figures
come from aggregations over the batch's site ids, and columns, dead links and messages are streamed
with a point in time and search_after, never loaded for the whole index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from elasticsearch import NotFoundError

from crawler.clock import SHANGHAI
from crawler.content_findings import ContentIssue, ContentPage
from crawler.extract.columns import ColumnClass, is_stale
from crawler.naming import index_name
from crawler.scoring import (
    ColumnState,
    DeadLink,
    LimitedPage,
    MessageState,
    PersonalDataPage,
    ProbeSummary,
    ServicePage,
    SiteState,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from elasticsearch import Elasticsearch

    from crawler.naming import IndexKind

logger = logging.getLogger(__name__)

_KEEP_ALIVE = "2m"
_GONE = (404, 410)  # a page answering these no longer exists: what it showed is gone with it


@dataclass(slots=True, frozen=True)
class CheckPoint:
    """The check point T: `as_of` is the day staleness is judged at, `until` the instant windows end at."""

    as_of: date
    until: datetime

    @classmethod
    def at(cls, as_of: date | None, now: datetime) -> CheckPoint:
        """Today up to now, or the whole of a given day (windows (T-7d, T], T = 24:00 Asia/Shanghai)."""
        if as_of is None:
            local = now.astimezone(SHANGHAI)
            return cls(local.date(), local)
        return cls(as_of, datetime.combine(as_of + timedelta(days=1), time(), SHANGHAI))


@dataclass(slots=True, frozen=True, kw_only=True)
class RegisteredSite:
    """The registry fields of a site (govcrawl-sites)."""

    site_id: str
    name: str
    url: str
    region: str
    level: str
    department: str = ""
    owner: str = ""  # the person responsible (registry column owner)
    contact: str = ""
    supervisor: str = ""


_SITE_FIELDS = ("site_id", "name", "url", "region", "level", "department", "owner", "contact", "supervisor")


def _index(prefix: str, kind: IndexKind) -> str:
    return index_name(prefix, kind)


def iter_registered_sites(client: Elasticsearch, prefix: str, *, region: str | None = None,
                          batch_size: int = 500) -> Iterator[list[RegisteredSite]]:
    """Sites of govcrawl-sites ordered by site_id, `batch_size` at a time (optionally one region)."""
    query: dict[str, Any] = {"term": {"region": region}} if region else {"match_all": {}}
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"query": query, "sort": [{"site_id": "asc"}], "size": batch_size,
                                "_source": list(_SITE_FIELDS)}
        if after is not None:
            body["search_after"] = after
        try:
            hits = client.search(index=_index(prefix, "sites"), body=body)["hits"]["hits"]
        except NotFoundError as exc:
            raise LookupError(f"index {_index(prefix, 'sites')} does not exist: load the registry "
                              "(scrapy seed REGISTRY.csv) and crawl before reporting") from exc
        if not hits:
            return
        yield [RegisteredSite(**{key: str(hit["_source"].get(key) or "") for key in _SITE_FIELDS})
               for hit in hits]
        after = hits[-1]["sort"]


def known_regions(client: Elasticsearch, prefix: str) -> list[str]:
    """The regions of the registered sites (govcrawl-sites), sorted; LookupError without a registry."""
    try:
        answer = client.search(index=_index(prefix, "sites"), size=0,
                               aggs={"regions": {"terms": {"field": "region", "size": 1000}}})
    except NotFoundError as exc:
        raise LookupError(f"index {_index(prefix, 'sites')} does not exist: load the registry "
                          "(scrapy seed REGISTRY.csv) first") from exc
    return sorted(bucket["key"] for bucket in answer["aggregations"]["regions"]["buckets"])


def check_region(client: Elasticsearch, prefix: str, region: str | None) -> None:
    """A --region value must be a city of the registry: LookupError naming the known ones otherwise."""
    if region is None:
        return
    known = known_regions(client, prefix)
    if region not in known:
        raise LookupError(f"--region {region!r} is not a city of the registry; known: "
                          f"{'、'.join(known) or '(none: load the registry with scrapy seed)'}")


def first_crawl_day(client: Elasticsearch, prefix: str, site_ids: list[str] | None = None) -> date | None:
    """The day (Asia/Shanghai) of the earliest home-page probe or page fetched, or None without any."""
    days: list[date] = []
    sources: tuple[tuple[IndexKind, str], ...] = (("probes", "started_at"), ("pages", "fetched_at"))
    for kind, field_name in sources:
        query: dict[str, Any] = ({"terms": {"site_id": site_ids}} if site_ids is not None
                                 else {"match_all": {}})
        answer = client.search(index=_index(prefix, kind), size=0, query=query, ignore_unavailable=True,
                               aggs={"first": {"min": {"field": field_name}}})
        value = answer.get("aggregations", {}).get("first", {}).get("value")
        if value is not None:
            days.append(datetime.fromtimestamp(value / 1000, SHANGHAI).date())
    return min(days) if days else None


def stream_ids(client: Elasticsearch, index: str, query: dict[str, Any]) -> Iterator[str]:
    """The id of every matching document (none if the index does not exist)."""
    for hit in _stream_hits(client, index, query, False):
        yield str(hit["_id"])


def _stream(client: Elasticsearch, index: str, query: dict[str, Any],
            fields: list[str]) -> Iterator[dict[str, Any]]:
    """Every matching document's source."""
    for hit in _stream_hits(client, index, query, fields):
        yield hit["_source"]


def _stream_hits(client: Elasticsearch, index: str, query: dict[str, Any], fields: list[str] | bool,
                 page_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Every matching hit, through a point in time and search_after."""
    if not client.indices.exists(index=index):
        return
    pit = client.open_point_in_time(index=index, keep_alive=_KEEP_ALIVE)["id"]
    try:
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {"query": query, "size": page_size, "_source": fields,
                                    "pit": {"id": pit, "keep_alive": _KEEP_ALIVE},
                                    "sort": [{"_shard_doc": "asc"}], "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            answer = client.search(body=body)
            pit = answer.get("pit_id", pit)
            hits = answer["hits"]["hits"]
            yield from hits
            if len(hits) < page_size:
                return
            after = hits[-1]["sort"]
    finally:
        client.close_point_in_time(id=pit)


def _date(value: object) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def _datetime(value: object) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _probe_summaries(client: Elasticsearch, prefix: str, site_ids: list[str],
                     point: CheckPoint) -> dict[str, ProbeSummary]:
    until = point.until.isoformat()
    failed = {"filter": {"term": {"ok": False}}}
    day_start = (point.until - timedelta(days=1)).isoformat()
    week_start = (point.until - timedelta(days=7)).isoformat()
    body = {
        "size": 0,
        "query": {"bool": {"filter": [{"terms": {"site_id": site_ids}},
                                      {"range": {"started_at": {"lte": until}}}]}},
        "aggs": {"by_site": {
            "terms": {"field": "site_id", "size": len(site_ids)},
            "aggs": {
                "newest": {"top_hits": {"size": 1, "sort": [{"started_at": "desc"}],
                                        "_source": ["ok", "started_at", "http_status", "error"]}},
                "day": {"filter": {"range": {"started_at": {"gt": day_start}}},
                        "aggs": {"failed": failed}},
                "week": {"filter": {"range": {"started_at": {"gt": week_start}}},
                         "aggs": {"failed": failed}},
            },
        }},
    }
    answer = client.search(index=_index(prefix, "probes"), body=body, ignore_unavailable=True)
    summaries: dict[str, ProbeSummary] = {}
    for bucket in answer.get("aggregations", {}).get("by_site", {}).get("buckets", []):
        newest = bucket["newest"]["hits"]["hits"][0]["_source"]
        summaries[bucket["key"]] = ProbeSummary(
            latest_ok=bool(newest.get("ok")), latest_at=_datetime(newest.get("started_at")),
            latest_status=newest.get("http_status"), latest_error=newest.get("error"),
            total_1d=bucket["day"]["doc_count"], failed_1d=bucket["day"]["failed"]["doc_count"],
            total_7d=bucket["week"]["doc_count"], failed_7d=bucket["week"]["failed"]["doc_count"])
    return summaries


@dataclass(slots=True, frozen=True)
class _Home:
    """What the home page documents of a site say at the check point."""

    latest_date: date | None  # newest valid date of its lists (None: no dated list)
    site_code_shown: str | None = None  # identity of the newest home page (D-ID, D-ERRLINK)
    missing_marks: tuple[str, ...] = ()
    error_report_link: bool | None = None  # None: crawled before the marks were read


def _homepages(client: Elasticsearch, prefix: str, site_ids: list[str],
               point: CheckPoint) -> dict[str, _Home]:
    """Per crawled site: the newest valid publish date of its homepage lists, and its identity marks.

    The spider stores the date as `pub_date` of the page_kind "home" document (newest entry date of
    the homepage lists, backdated entries excluded); the marks are those of the newest home document.
    """
    body = {
        "size": 0,
        "query": {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"term": {"page_kind": "home"}},
                                      {"range": {"fetched_at": {"lte": point.until.isoformat()}}}]}},
        "aggs": {"by_site": {
            "terms": {"field": "site_id", "size": len(site_ids)},
            "aggs": {
                "valid": {
                    "filter": {"bool": {
                        "filter": [{"range": {"pub_date": {"lte": point.as_of.isoformat()}}}],
                        "must_not": [{"term": {"backdated": True}}]}},
                    "aggs": {"newest": {"max": {"field": "pub_date", "format": "yyyy-MM-dd"}}}},
                "latest": {"top_hits": {
                    "size": 1, "sort": [{"fetched_at": "desc"}],
                    "_source": ["site_code_shown", "missing_marks", "error_report_link"]}},
            },
        }},
    }
    answer = client.search(index=_index(prefix, "pages"), body=body, ignore_unavailable=True)
    homepages: dict[str, _Home] = {}
    for bucket in answer.get("aggregations", {}).get("by_site", {}).get("buckets", []):
        newest = bucket["valid"]["newest"]
        hits = bucket["latest"]["hits"]["hits"]
        marks = hits[0]["_source"] if hits else {}
        homepages[bucket["key"]] = _Home(
            latest_date=_date(newest.get("value_as_string")) if newest.get("value") else None,
            site_code_shown=marks.get("site_code_shown"),
            missing_marks=_strings(marks.get("missing_marks")),
            error_report_link=marks.get("error_report_link"))
    return homepages


def _column_class(value: object) -> ColumnClass:
    try:
        return ColumnClass(str(value))
    except ValueError:
        return ColumnClass.OTHER


def _columns(client: Elasticsearch, prefix: str, site_ids: list[str], point: CheckPoint,
             messages: dict[str, list[MessageState]]) -> dict[str, list[ColumnState]]:
    columns: dict[str, list[ColumnState]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}]}}
    fields = ["site_id", "url", "name", "type", "level", "latest_date", "entries", "empty"]
    sources = list(_stream(client, _index(prefix, "columns"), query, fields))
    # The newest item of a list is not always on its first page (a list in ascending order shows it on
    # its last one), and a list may show no dates at all: its items' own pages say when they were
    # published, so the column's newest date is the later of the two. A letters column is updated by
    # every reply it publishes, also to a letter listed on a later page: its newest message date counts.
    # An item dated only by a list that printed month-days has a guessed year: it counts for a column
    # whose own list shows no date, never against the dates a column's own list printed in full.
    listed = [source["url"] for source in sources if int(source.get("entries") or 0) > 0]
    undated = {source["url"] for source in sources if not source.get("latest_date")}
    from_articles = (_newest_article_dates(client, prefix, site_ids, listed, point, undated=undated)
                     if listed else {})
    from_messages = _newest_message_dates(messages, point)
    for source in _one_spelling(sources):
        column_class = _column_class(source.get("type"))
        latest = max(filter(None, (_date(source.get("latest_date")), from_articles.get(source["url"]),
                                   from_messages.get(source["url"]))), default=None)
        empty = bool(source.get("empty"))
        columns.setdefault(source["site_id"], []).append(ColumnState(
            name=str(source.get("name") or ""), url=source["url"], type=column_class.value,
            level=int(source.get("level") or 0), latest_date=latest, entries=int(source.get("entries") or 0),
            stale=is_stale(latest, column_class, point.as_of), empty=empty))
    return columns


def _one_spelling(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each column once, however its address is spelled: an old site links a page with a Chinese file name
    both as its GBK bytes (%CF%E7…, written by a GBK CMS) and as UTF-8 (what a browser sends for the
    characters); its server answers both. The UTF-8 spelling is kept."""
    kept: dict[tuple[str, str], tuple[bool, dict[str, Any]]] = {}
    for source in sources:
        address, utf8 = _spelling(source["url"])
        key = (str(source["site_id"]), address)
        if key not in kept or (utf8 and not kept[key][0]):
            kept[key] = (utf8, source)
    return [source for _, source in kept.values()]


def _spelling(url: str) -> tuple[str, bool]:
    """The address with its percent-escapes read as text, and whether they were UTF-8 (else GB18030)."""
    raw = unquote_to_bytes(url)
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), False
    except UnicodeDecodeError:
        return url, False


def _newest_article_dates(client: Elasticsearch, prefix: str, site_ids: list[str], column_urls: list[str],
                          point: CheckPoint, *, undated: set[str]) -> dict[str, date]:
    """The newest publish date (by the check point's day) of the articles stored for each given column;
    dates with a guessed year (pub_date_source listing_guessed) only for the `undated` columns."""
    index = _index(prefix, "pages")
    if not client.indices.exists(index=index):
        return {}
    newest: dict[str, date] = {}
    for start in range(0, len(column_urls), 1000):
        urls = column_urls[start:start + 1000]
        query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"terms": {"column_url": urls}},
                                     {"term": {"page_kind": "article"}},
                                     {"range": {"pub_date": {"lte": point.as_of.isoformat()}}}]}}
        printed = {"bool": {"must_not": [{"term": {"pub_date_source": "listing_guessed"}}]}}
        answer = client.search(index=index, query=query, size=0, aggs={
            "by_column": {"terms": {"field": "column_url", "size": len(urls)}, "aggs": {
                "newest": {"max": {"field": "pub_date"}},
                "printed": {"filter": printed, "aggs": {"newest": {"max": {"field": "pub_date"}}}}}}})
        for bucket in answer.get("aggregations", {}).get("by_column", {}).get("buckets", []):
            found = bucket["newest"] if bucket["key"] in undated else bucket["printed"]["newest"]
            day = _date(found.get("value_as_string")) if found.get("value") else None
            if day is not None:
                newest[bucket["key"]] = day
    return newest


def _newest_message_dates(messages: dict[str, list[MessageState]], point: CheckPoint) -> dict[str, date]:
    """The newest date (asked or answered, by the check point's day) of each column's stored messages."""
    newest: dict[str, date] = {}
    for site_messages in messages.values():
        for message in site_messages:
            for day in (message.asked_at, message.answered_at):
                if day is not None and day <= point.as_of and day > newest.get(message.column_url, date.min):
                    newest[message.column_url] = day
    return newest


def _page_fetches(client: Elasticsearch, prefix: str, urls: list[str], point: CheckPoint, *,
                  gone_only: bool = False) -> dict[str, datetime]:
    """When each given page was last read by the check point: fetched with an answer below 400, or found
    gone (404, 410: what it showed is no longer on the site). Any other failed fetch reads no links, so it
    says nothing about them. `gone_only`: only pages found gone. Pages not stored are left out.

    A page reached through a redirect or a meta refresh counts as read under the address it ended at
    too (its read_url): the links read from it are reported found there."""
    fetched: dict[str, datetime] = {}
    answered: list[dict[str, Any]] = [{"terms": {"status": list(_GONE)}}]
    if not gone_only:
        answered.append({"range": {"status": {"lt": 400}}})
    for start in range(0, len(urls), 10_000):
        batch = urls[start:start + 10_000]
        addressed = [{"terms": {"url": batch}}, {"terms": {"read_url": batch}}]
        query = {"bool": {"filter": [{"bool": {"should": addressed, "minimum_should_match": 1}},
                                     {"range": {"fetched_at": {"lte": point.until.isoformat()}}},
                                     {"bool": {"should": answered, "minimum_should_match": 1}}],
                          "must_not": [{"exists": {"field": "error"}}]}}
        for source in _stream(client, _index(prefix, "pages"), query, ["url", "read_url", "fetched_at"]):
            at = _datetime(source.get("fetched_at"))
            for url in {source["url"], source.get("read_url") or source["url"]}:
                if at is not None and (url not in fetched or at > fetched[url]):
                    fetched[url] = at
    return fetched


def _dead_links(client: Elasticsearch, prefix: str, site_ids: list[str],
                point: CheckPoint) -> dict[str, list[DeadLink]]:
    """Broken links still current at the check point: a link reported before its page was fetched again
    (and not reported by that fetch), or before its page was found gone, was fixed or removed, so it no
    longer counts."""
    links: dict[str, list[DeadLink]] = {}
    seen: set[tuple[str, str]] = set()
    checked: dict[tuple[str, str], datetime | None] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"term": {"ok": False}},
                                 {"range": {"checked_at": {"lte": point.until.isoformat()}}}]}}
    fields = ["site_id", "url", "found_on", "on_homepage", "status", "error", "confirmed", "target_kind",
              "checked_at"]
    for source in _stream(client, _index(prefix, "links"), query, fields):
        pair = (source["url"], source["found_on"])
        checked[pair] = max(filter(None, (checked.get(pair), _datetime(source.get("checked_at")))),
                            default=None)
        if pair in seen:
            continue
        seen.add(pair)
        links.setdefault(source["site_id"], []).append(DeadLink(
            url=source["url"], found_on=source["found_on"], on_homepage=bool(source.get("on_homepage")),
            status=source.get("status"), error=source.get("error"), confirmed=bool(source.get("confirmed")),
            target_kind=str(source.get("target_kind") or "page")))
    fetched = _page_fetches(client, prefix, sorted({pair[1] for pair in checked}), point)
    for site_id, site_links in links.items():
        links[site_id] = [link for link in site_links if not _refetched_since(
            fetched.get(link.found_on), checked[(link.url, link.found_on)])]
    return links


def _refetched_since(page_fetched: datetime | None, link_checked: datetime | None) -> bool:
    """The page a broken link was found on was fetched again after the link was last reported."""
    return page_fetched is not None and link_checked is not None and page_fetched > link_checked


def _messages(client: Elasticsearch, prefix: str, site_ids: list[str]) -> dict[str, list[MessageState]]:
    messages: dict[str, list[MessageState]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}]}}
    fields = ["site_id", "url", "column_url", "asked_at", "answered_at"]
    for source in _stream(client, _index(prefix, "messages"), query, fields):
        messages.setdefault(source["site_id"], []).append(MessageState(
            url=source["url"], column_url=str(source.get("column_url") or ""),
            asked_at=_date(source.get("asked_at")), answered_at=_date(source.get("answered_at"))))
    return messages


def _service_pages(client: Elasticsearch, prefix: str, site_ids: list[str],
                   columns: dict[str, list[ColumnState]]) -> dict[str, list[ServicePage]]:
    """The articles of the batch's service columns, with their guide elements (V-SERVICE, D-ATTACH)."""
    service_columns = sorted({column.url for site in columns.values() for column in site
                              if column.type == ColumnClass.SERVICE.value})
    pages: dict[str, list[ServicePage]] = {}
    if not service_columns:
        return pages
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"term": {"page_kind": "article"}},
                                 {"terms": {"column_url": service_columns}}]}}
    for source in _stream(client, _index(prefix, "pages"), query, ["site_id", "url", "guide_elements"]):
        pages.setdefault(source["site_id"], []).append(ServicePage(
            url=source["url"], elements=_strings(source.get("guide_elements"))))
    return pages


def _personal_data(client: Elasticsearch, prefix: str, site_ids: list[str],
                   point: CheckPoint) -> dict[str, list[PersonalDataPage]]:
    """Pages and attachments of the batch showing resident ID numbers or mobile numbers (I-PRIVACY)."""
    pages: dict[str, list[PersonalDataPage]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}],
                      "should": [{"exists": {"field": "id_numbers"}}, {"exists": {"field": "mobiles"}}],
                      "minimum_should_match": 1}}
    fields = ["site_id", "url", "id_numbers", "mobiles"]
    for source in _stream(client, _index(prefix, "pages"), query, fields):
        pages.setdefault(source["site_id"], []).append(PersonalDataPage(
            url=source["url"], id_numbers=_strings(source.get("id_numbers")),
            mobiles=_strings(source.get("mobiles"))))
    for source in _attachments_read(client, prefix, site_ids, point):
        if source.get("id_numbers") or source.get("mobiles"):
            pages.setdefault(source["site_id"], []).append(PersonalDataPage(
                url=source["url"], id_numbers=_strings(source.get("id_numbers")),
                mobiles=_strings(source.get("mobiles"))))
    return pages


def _attachments_read(client: Elasticsearch, prefix: str, site_ids: list[str],
                      point: CheckPoint) -> list[dict[str, Any]]:
    """The newest link record of each attachment whose text was read (crawler/extract/attachments.py), by
    the check point: one that showed personal data and shows none when read again no longer counts, nor
    one whose page was found gone since (the article deleted: the usual correction, and nothing links
    the file any more, so it is not read again). A page fetched again is not enough: an unchanged file is
    not read again, so its record keeps standing for it (crawler/middlewares/attachment_reads.py)."""
    newest: dict[str, dict[str, Any]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"term": {"target_kind": "attachment"}},
                                 {"term": {"ok": True}},
                                 {"range": {"checked_at": {"lte": point.until.isoformat()}}}]}}
    fields = ["site_id", "url", "found_on", "id_numbers", "mobiles", "checked_at"]
    for source in _stream(client, _index(prefix, "links"), query, fields):
        known = newest.get(source["url"])
        if known is None or str(source.get("checked_at") or "") > str(known.get("checked_at") or ""):
            newest[source["url"]] = source
    gone = _page_fetches(client, prefix, sorted({str(source.get("found_on") or "") for source in
                                                 newest.values()}), point, gone_only=True)
    return [source for source in newest.values() if not _refetched_since(
        gone.get(str(source.get("found_on") or "")), _datetime(source.get("checked_at")))]


def _limited_pages(client: Elasticsearch, prefix: str, site_ids: list[str]) -> dict[str, list[LimitedPage]]:
    """Pages of the batch the crawl did not read whole (I-CRAWL)."""
    pages: dict[str, list[LimitedPage]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}],
                      "should": [{"term": {"repeated": True}}, {"exists": {"field": "capped"}}],
                      "minimum_should_match": 1}}
    for source in _stream(client, _index(prefix, "pages"), query, ["site_id", "url", "repeated", "capped"]):
        pages.setdefault(source["site_id"], []).append(LimitedPage(
            url=source["url"], repeated=bool(source.get("repeated")), capped=_strings(source.get("capped"))))
    return pages


def _content_pages(client: Elasticsearch, prefix: str, site_ids: list[str]) -> dict[str, list[ContentPage]]:
    """Pages and attachments of the batch with content issues (V-SEVERE, D-TYPO; crawler.content_findings)."""
    pages: dict[str, list[ContentPage]] = {}
    query = {"bool": {"filter": [{"terms": {"site_id": site_ids}}, {"exists": {"field": "content_issues"}}]}}
    for source in _stream(client, _index(prefix, "pages"), query, ["site_id", "url", "content_issues"]):
        records = source.get("content_issues") or []
        records = records if isinstance(records, list) else [records]
        issues = [ContentIssue.from_record(record) for record in records if isinstance(record, dict)]
        known = tuple(issue for issue in issues if issue is not None)
        if known:
            pages.setdefault(source["site_id"], []).append(ContentPage(url=source["url"], issues=known))
    return pages


def _strings(value: object) -> tuple[str, ...]:
    """A keyword field as stored: absent, one string, or a list of them."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def build_site_states(client: Elasticsearch, prefix: str, sites: list[RegisteredSite],
                      point: CheckPoint) -> list[SiteState]:
    """The SiteState of each given site (one batch: a handful of searches whatever its size)."""
    site_ids = [site.site_id for site in sites]
    probes = _probe_summaries(client, prefix, site_ids, point)
    homepages = _homepages(client, prefix, site_ids, point)
    messages = _messages(client, prefix, site_ids)
    columns = _columns(client, prefix, site_ids, point, messages)
    links = _dead_links(client, prefix, site_ids, point)
    service = _service_pages(client, prefix, site_ids, columns)
    personal = _personal_data(client, prefix, site_ids, point)
    limited = _limited_pages(client, prefix, site_ids)
    content = _content_pages(client, prefix, site_ids)
    states: list[SiteState] = []
    for site in sites:
        home = homepages.get(site.site_id)
        states.append(SiteState(
            site_id=site.site_id, name=site.name, url=site.url, region=site.region, level=site.level,
            department=site.department, probes=probes.get(site.site_id, ProbeSummary()),
            home_fetched=home is not None, homepage_latest_date=home.latest_date if home else None,
            site_code_shown=home.site_code_shown if home else None,
            missing_marks=home.missing_marks if home else (),
            error_report_link=home.error_report_link if home else None,
            columns=tuple(sorted(columns.get(site.site_id, ()), key=lambda column: column.url)),
            dead_links=tuple(sorted(links.get(site.site_id, ()), key=lambda link: (link.url, link.found_on))),
            messages=tuple(messages.get(site.site_id, ())),
            service_pages=tuple(sorted(service.get(site.site_id, ()), key=lambda page: page.url)),
            personal_data=tuple(sorted(personal.get(site.site_id, ()), key=lambda page: page.url)),
            limited_pages=tuple(sorted(limited.get(site.site_id, ()), key=lambda page: page.url)),
            content_pages=tuple(sorted(content.get(site.site_id, ()), key=lambda page: page.url)),
        ))
    return states


SiteBatch = list[tuple[RegisteredSite, SiteState]]


def iter_site_state_batches(client: Elasticsearch, prefix: str, point: CheckPoint, *,
                            region: str | None = None, batch_size: int = 500) -> Iterator[SiteBatch]:
    """Each batch of registered sites with its SiteState (the registry entry carries the owner)."""
    for batch in iter_registered_sites(client, prefix, region=region, batch_size=batch_size):
        yield list(zip(batch, build_site_states(client, prefix, batch, point), strict=True))


def iter_site_states(client: Elasticsearch, prefix: str, point: CheckPoint, *, region: str | None = None,
                     batch_size: int = 500) -> Iterator[SiteState]:
    """The SiteState of every registered site, built `batch_size` sites at a time."""
    done = 0
    for batch in iter_registered_sites(client, prefix, region=region, batch_size=batch_size):
        yield from build_site_states(client, prefix, batch, point)
        done += len(batch)
        logger.info("Built the state of %(count)d sites", {"count": done})
