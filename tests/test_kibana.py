"""Kibana assets (deploy/kibana): saved objects use only mapped fields; the documented KQL queries work."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import helpers

from crawler.es_schema import index_mapping, install_templates
from crawler.glossary import COLUMN_STATES, SEVERITIES, check_name, word
from crawler.items import ColumnItem, FindingItem, LinkItem, PageItem, ProbeItem
from crawler.naming import INDEX_KINDS, IndexKind, index_name
from pipelines.indexing import to_action

if TYPE_CHECKING:
    from collections.abc import Iterator

    from elasticsearch import Elasticsearch

KIBANA = Path(__file__).resolve().parent.parent / "deploy" / "kibana"
SAVED_OBJECTS = KIBANA / "saved_objects.ndjson"
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_KQL_FIELD = re.compile(r"([A-Za-z_][\w.]*)\s*(?::|>=|<=|>|<)")


def saved_objects() -> list[dict[str, Any]]:
    lines = SAVED_OBJECTS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def kql_fields(kql: str) -> set[str]:
    """The field names a KQL query uses (quoted values removed first, so their colons do not count)."""
    return set(_KQL_FIELD.findall(_QUOTED.sub('""', kql)))


def mapped_fields(kind: IndexKind) -> set[str]:
    """Every searchable field name of an index, `.keyword` sub-fields included."""
    names = set()
    for name, spec in index_mapping(kind)["properties"].items():
        names.add(name)
        names.update(f"{name}.{sub}" for sub in spec.get("fields", {}))
    return names


def _field_exists(kind: IndexKind, name: str) -> bool:
    if name in mapped_fields(kind):
        return True
    parent = name.split(".", 1)[0]  # a key of a flattened field, e.g. meta.SiteIDCode
    return bool(index_mapping(kind)["properties"].get(parent, {}).get("type") == "flattened")


def _kind_of_data_view(view_id: str) -> IndexKind:
    view = next(obj for obj in saved_objects() if obj["id"] == view_id and obj["type"] == "index-pattern")
    kind = view["attributes"]["title"].removeprefix("govcrawl-").removesuffix("*")
    assert kind in INDEX_KINDS, view["attributes"]["title"]
    return kind  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kql", "fields"), [
    ("on_homepage:true and ok:false", {"on_homepage", "ok"}),
    ('stale:true and region:"绵阳市"', {"stale", "region"}),
    ("ok:false and started_at >= now-1d", {"ok", "started_at"}),
    ('title:"a:b" and meta.SiteIDCode:"5107000001"', {"title", "meta.SiteIDCode"}),
    ("check:V-* and not confidence:suspected", {"check", "confidence"}),
])
def test_kql_fields_are_found(kql: str, fields: set[str]) -> None:
    assert kql_fields(kql) == fields


def test_saved_objects_are_well_formed_and_references_resolve() -> None:
    objects = saved_objects()
    ids = {(obj["type"], obj["id"]) for obj in objects}
    assert len(ids) == len(objects), "duplicate ids"
    assert {obj["type"] for obj in objects} == {"index-pattern", "search", "dashboard"}
    for obj in objects:
        assert obj["attributes"].get("title"), obj["id"]
        for reference in obj["references"]:
            assert (reference["type"], reference["id"]) in ids, f"{obj['id']} -> {reference}"
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            names = {reference["name"] for reference in obj["references"]}
            assert source["indexRefName"] in names
            assert {f["meta"]["indexRefName"] for f in source["filter"]} <= names
        if obj["type"] == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            assert {panel["panelRefName"] for panel in panels} == {ref["name"] for ref in obj["references"]}


def test_there_is_a_data_view_per_index_with_a_date_time_field() -> None:
    views = {obj["attributes"]["title"]: obj["attributes"] for obj in saved_objects()
             if obj["type"] == "index-pattern"}
    assert set(views) == {f"govcrawl-{kind}*" for kind in INDEX_KINDS}
    for kind in INDEX_KINDS:
        time_field = views[f"govcrawl-{kind}*"].get("timeFieldName")
        if time_field is not None:
            assert index_mapping(kind)["properties"][time_field]["type"] == "date", kind
    assert views["govcrawl-probes*"]["timeFieldName"] == "started_at"


def test_what_staff_see_in_kibana_is_chinese_in_the_glossary_s_words() -> None:
    shown = [obj for obj in saved_objects() if obj["type"] in ("search", "dashboard")]
    assert shown
    for obj in shown:
        for text in (obj["attributes"]["title"], obj["attributes"]["description"]):
            assert re.search(r"[\u4e00-\u9fff]", text), obj["id"]
    titles = {obj["id"]: obj["attributes"]["title"] for obj in shown}
    assert titles["govcrawl-dead-links-home"] == check_name("D-LINK-HOME")
    assert word(SEVERITIES, "veto") in titles["govcrawl-veto-findings"]
    assert COLUMN_STATES["stale"] in titles["govcrawl-stale-columns-by-city"]
    views = [obj for obj in saved_objects() if obj["type"] == "index-pattern"]
    assert all(re.search(r"[\u4e00-\u9fff]", obj["attributes"]["name"]) for obj in views)


def test_every_field_a_saved_search_uses_is_mapped() -> None:
    searches = [obj for obj in saved_objects() if obj["type"] == "search"]
    assert {obj["attributes"]["title"] for obj in searches} >= {
        "首页错链", "各地市未按时更新栏目", "今天不能访问的网站", "单项否决问题"}
    for obj in searches:
        source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        view = next(ref["id"] for ref in obj["references"] if ref["name"] == source["indexRefName"])
        kind = _kind_of_data_view(view)
        used = set(obj["attributes"]["columns"]) | {field for field, _ in obj["attributes"]["sort"]}
        used |= kql_fields(source["query"]["query"])
        used |= {f["meta"]["key"] for f in source["filter"]}
        unknown = sorted(name for name in used if not _field_exists(kind, name))
        assert not unknown, f"{obj['attributes']['title']}: {unknown} not in govcrawl-{kind}"


# --- the KQL staff type, translated to Elasticsearch and run on known documents ---------------------

NOW = datetime.now(UTC).replace(microsecond=0)
HOME = "http://www.my.gov.cn/"


def _link(name: str, *, on_homepage: bool, ok: bool, confirmed: bool = False, region: str = "绵阳市",
          ) -> LinkItem:
    return LinkItem(site_id="5107000001", url=f"{HOME}{name}", found_on=HOME, on_homepage=on_homepage,
                    target_kind="page", checked_at=NOW, ok=ok, status=200 if ok else 404,
                    error=None if ok else "http", confirmed=confirmed, region=region, level="city")


def _column(name: str, *, region: str, stale: bool, empty: bool = False) -> ColumnItem:
    return ColumnItem(site_id="5107000001", url=f"{HOME}{name}/", name=name, type="notice", level=1,
                      checked_at=NOW, stale=stale, empty=empty, region=region)


def _probe(name: str, *, ok: bool, hours_ago: float) -> ProbeItem:
    return ProbeItem(site_id=name, url=HOME, started_at=NOW - timedelta(hours=hours_ago), ok=ok,
                     elapsed_ms=300, region="绵阳市", level="city")


def _finding(name: str, check: str, severity: str, confidence: str) -> FindingItem:
    return FindingItem(site_id="5107000001", region="绵阳市", level="city", check=check,
                       severity=severity, points=0.0, detail="...", confidence=confidence,  # type: ignore[arg-type]
                       as_of=NOW.date(), computed_at=NOW, key=name)


def _page(name: str, title: str, site_code: str, *, backdated: bool) -> PageItem:
    return PageItem(site_id=site_code, url=f"{HOME}{name}.html", status=200, fetched_at=NOW, title=title,
                    pub_date=date(2026, 11, 1), backdated=backdated, meta={"SiteIDCode": site_code})


DOCUMENTS: dict[str, object] = {
    "home-dead-confirmed": _link("a.html", on_homepage=True, ok=False, confirmed=True),
    "home-dead-suspected": _link("b.html", on_homepage=True, ok=False),
    "home-ok": _link("c.html", on_homepage=True, ok=True),
    "inner-dead": _link("d.html", on_homepage=False, ok=False, confirmed=True, region="成都市"),
    "mianyang-stale": _column("tzgg", region="绵阳市", stale=True),
    "mianyang-empty": _column("zcwj", region="绵阳市", stale=True, empty=True),
    "mianyang-fresh": _column("gzdt", region="绵阳市", stale=False),
    "chengdu-stale": _column("rsxx", region="成都市", stale=True),
    "down-2h-ago": _probe("s1", ok=False, hours_ago=2),
    "down-3d-ago": _probe("s2", ok=False, hours_ago=72),
    "up-1h-ago": _probe("s3", ok=True, hours_ago=1),
    "avail-veto": _finding("avail", "V-AVAIL", "veto", "confirmed"),
    "severe-suspected": _finding("severe", "V-SEVERE", "veto", "suspected"),
    "home-link-deduction": _finding("link", "D-LINK-HOME", "deduction", "confirmed"),
    "zombie-info": _finding("zombie", "I-ZOMBIE", "info", "confirmed"),
    "notice-page": _page("p1", "关于印发通知公告管理办法的通知", "5107000001", backdated=True),
    "reversed-words": _page("p2", "公告通知汇编", "5101000002", backdated=False),
    "id-list": PageItem(site_id="5107000001", url=f"{HOME}gs.html", status=200, fetched_at=NOW,
                        page_kind="article", id_numbers=["510700********1234"]),
    "home-without-icp": PageItem(site_id="5107000001", url=HOME, status=200, fetched_at=NOW, page_kind="home",
                                 missing_marks=["icp"], error_report_link=True),
    "home-complete": PageItem(site_id="5101000002", url="http://www.cd.gov.cn/", status=200, fetched_at=NOW,
                              page_kind="home", error_report_link=True),
}


def _term(name: str, value: object) -> dict[str, Any]:
    return {"term": {name: value}}


def _all(*clauses: dict[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": list(clauses)}}


# (index kind, KQL as staff type it in Kibana, the equivalent Elasticsearch query, what it returns)
QUERIES: list[tuple[IndexKind, str, dict[str, Any], set[str]]] = [
    ("links", "on_homepage:true and ok:false",
     _all(_term("on_homepage", True), _term("ok", False)), {"home-dead-confirmed", "home-dead-suspected"}),
    ("links", "on_homepage:true and ok:false and confirmed:true",
     _all(_term("on_homepage", True), _term("ok", False), _term("confirmed", True)), {"home-dead-confirmed"}),
    ("columns", "stale:true",
     _term("stale", True), {"mianyang-stale", "mianyang-empty", "chengdu-stale"}),
    ("columns", 'stale:true and region:"绵阳市"',
     _all(_term("stale", True), _term("region", "绵阳市")), {"mianyang-stale", "mianyang-empty"}),
    ("columns", "empty:true", _term("empty", True), {"mianyang-empty"}),
    ("probes", "ok:false and started_at >= now-1d",
     _all(_term("ok", False), {"range": {"started_at": {"gte": "now-1d"}}}), {"down-2h-ago"}),
    ("findings", "check:V-* and severity:veto",
     _all({"wildcard": {"check": {"value": "V-*"}}}, _term("severity", "veto")),
     {"avail-veto", "severe-suspected"}),
    ("findings", "check:V-* and severity:veto and confidence:suspected",
     _all({"wildcard": {"check": {"value": "V-*"}}}, _term("severity", "veto"),
          _term("confidence", "suspected")),
     {"severe-suspected"}),
    ("pages", 'title:"通知公告"', {"match_phrase": {"title": "通知公告"}}, {"notice-page"}),
    ("pages", 'meta.SiteIDCode:"5101000002"', _term("meta.SiteIDCode", "5101000002"), {"reversed-words"}),
    ("pages", "backdated:true", _term("backdated", True), {"notice-page"}),
    ("pages", "id_numbers:*", {"exists": {"field": "id_numbers"}}, {"id-list"}),
    ("pages", "page_kind:home and missing_marks:*",
     _all(_term("page_kind", "home"), {"exists": {"field": "missing_marks"}}), {"home-without-icp"}),
]


@pytest.fixture
def known_documents(es_client: Elasticsearch, es_prefix: str) -> Iterator[dict[str, str]]:
    """The documents of DOCUMENTS indexed under this test's prefix; yields `_id -> name`."""
    install_templates(es_client, es_prefix)
    actions, names = [], {}
    for name, item in DOCUMENTS.items():
        action = to_action(item, es_prefix)
        actions.append(action)
        names[action["_id"]] = name
    indexed, errors = helpers.bulk(es_client, actions, raise_on_error=False, refresh=True)
    assert errors == [] and indexed == len(DOCUMENTS)
    yield names


def test_documented_queries_return_exactly_the_documents_described(
        es_client: Elasticsearch, es_prefix: str, known_documents: dict[str, str]) -> None:
    for kind, kql, query, expected in QUERIES:
        answer = es_client.search(index=index_name(es_prefix, kind), query=query, size=100)
        found = {known_documents[hit["_id"]] for hit in answer["hits"]["hits"]}
        assert found == expected, kql
        assert all(_field_exists(kind, name) for name in kql_fields(kql)), kql


def test_documented_queries_are_in_the_kibana_readme_and_cover_the_saved_searches() -> None:
    readme = (KIBANA / "README.md").read_text(encoding="utf-8")
    documented = {kql for _, kql, _, _ in QUERIES}
    for kql in documented:
        assert f"`{kql}`" in readme, kql
    for obj in saved_objects():
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["query"]["query"] in documented, obj["attributes"]["title"]
