"""Mappings and index templates (crawler/es_schema.py, `scrapy templates`) against the real Elasticsearch."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from elasticsearch import AsyncElasticsearch, BadRequestError, Elasticsearch, helpers

from crawler import es_schema
from crawler.commands.templates import sync_deploy_templates
from crawler.es_schema import (
    SchemaError,
    field_mapping,
    index_mapping,
    install_templates,
    install_templates_async,
    production_mapping,
    without_analyzers,
)
from crawler.items import (
    ITEM_INDEX,
    ColumnItem,
    FindingItem,
    LinkItem,
    MessageItem,
    PageItem,
    ProbeItem,
    ReviewItem,
    SiteItem,
)
from crawler.naming import INDEX_KINDS, IndexKind, index_name
from pipelines.indexing import to_action

if TYPE_CHECKING:
    from tests.conftest import Env

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "elasticsearch"
TEXT = "text"  # a text field with a .keyword sub-field

# The type staff rely on for every field: written out by hand, so a rule change in es_schema shows here.
INTENDED_TYPES: dict[str, dict[str, str]] = {
    "sites": {"site_id": "keyword", "name": TEXT, "url": "keyword", "level": "keyword", "region": "keyword",
              "department": TEXT, "host": "keyword", "registered_at": "date", "owner": "keyword",
              "contact": "keyword", "supervisor": "keyword"},
    "pages": {"site_id": "keyword", "url": "keyword", "status": "long", "fetched_at": "date",
              "final_url": "keyword", "read_url": "keyword", "title": TEXT, "content_hash": "keyword",
              "content_type": "keyword",
              "body_bytes": "long", "encoding": "keyword", "page_kind": "keyword", "depth": "long",
              "column_url": "keyword", "pub_date": "date", "pub_date_source": "keyword",
              "pub_date_confidence": "double", "first_seen_at": "date", "backdated": "boolean",
              "out_links": "long", "list_entries": "long", "site_code_shown": "keyword",
              "missing_marks": "keyword", "error_report_link": "boolean", "guide_elements": "keyword",
              "id_numbers": "keyword", "mobiles": "keyword", "capped": "keyword", "repeated": "boolean",
              "error": "keyword", "content_issues": "flattened", "home_links_sketch": "long",
              "home_text_sketch": "long",
              "meta": "flattened", "cycle": "long", "region": "keyword", "level": "keyword"},
    "links": {"site_id": "keyword", "url": "keyword", "found_on": "keyword", "on_homepage": "boolean",
              "target_kind": "keyword", "checked_at": "date", "ok": "boolean", "status": "long",
              "error": "keyword", "confirmed": "boolean", "anchor_text": TEXT, "cycle": "long",
              "region": "keyword", "level": "keyword", "id_numbers": "keyword", "mobiles": "keyword"},
    "probes": {"site_id": "keyword", "url": "keyword", "started_at": "date", "ok": "boolean",
               "elapsed_ms": "long", "http_status": "long", "final_url": "keyword", "error": "keyword",
               "body_bytes": "long", "region": "keyword", "level": "keyword"},
    "columns": {"site_id": "keyword", "url": "keyword", "name": TEXT, "type": "keyword", "level": "long",
                "checked_at": "date", "latest_date": "date", "entries": "long", "stale": "boolean",
                "empty": "boolean", "placeholder": "boolean", "parent_url": "keyword",
                "column_type_meta": "keyword", "override": "boolean", "region": "keyword"},
    "messages": {"site_id": "keyword", "column_url": "keyword", "url": "keyword", "title": TEXT,
                 "asked_at": "date", "answered_at": "date", "answered": "boolean", "checked_at": "date"},
    "findings": {"site_id": "keyword", "region": "keyword", "level": "keyword", "check": "keyword",
                 "severity": "keyword", "points": "double", "detail": TEXT, "confidence": "keyword",
                 "as_of": "date", "computed_at": "date", "key": "keyword", "evidence": TEXT,
                 "stale_data": "boolean"},
    "reviews": {"quarter": "keyword", "site_id": "keyword", "name": TEXT, "region": "keyword",
                "level": "keyword", "url": "keyword", "sampled_at": "date", "seed": "long",
                "fraction": "double", "status": "keyword", "reviewer": "keyword", "reviewed_at": "date",
                "findings_confirmed": "keyword", "findings_overturned": "keyword", "notes": TEXT},
}

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def sample_items() -> list[object]:
    """One item of every type with every field set, as the crawler would make them."""
    site = "5107000001"
    home = "http://www.my.gov.cn/"
    return [
        SiteItem(site_id=site, name="绵阳市人民政府", url=home, level="city", region="绵阳市",
                 department="市政府办公室", host="www.my.gov.cn", registered_at=NOW),
        PageItem(site_id=site, url=f"{home}zwgk/tzgg/t20261120_1.html", status=200, fetched_at=NOW,
                 final_url=f"{home}zwgk/tzgg/t20261120_1.html", title="关于开展网站检查的通知",
                 content_hash="9f2c44aa01", content_type="text/html", body_bytes=23_456, encoding="gb18030",
                 page_kind="article", depth=2, column_url=f"{home}zwgk/tzgg/", pub_date=date(2026, 11, 20),
                 pub_date_source="meta", pub_date_confidence=0.95, first_seen_at=NOW, backdated=False,
                 out_links=84, cycle=3, meta={"SiteIDCode": site, "ColumnName": "通知公告",
                                              "PubDate": "2026-11-20 09:30", "og:title": "x",
                                              "Weird.Key": "y"}),
        LinkItem(site_id=site, url=f"{home}missing.pdf", found_on=home, on_homepage=True,
                 target_kind="attachment", checked_at=NOW, ok=False, status=404, error="http", confirmed=True,
                 anchor_text="表格下载", cycle=3),
        ProbeItem(site_id=site, url=home, started_at=NOW, ok=False, elapsed_ms=15_000, http_status=None,
                  final_url=None, error="timeout", body_bytes=0),
        ColumnItem(site_id=site, url=f"{home}zwgk/tzgg/", name="通知公告", type="notice", level=1,
                   checked_at=NOW, latest_date=date(2026, 3, 1), entries=40, stale=True, empty=False,
                   placeholder=False, parent_url=home, column_type_meta="通知公告", override=False),
        MessageItem(site_id=site, column_url=f"{home}hdjl/", url=f"{home}hdjl/1.html", title="咨询办事时间",
                    asked_at=date(2026, 5, 1), answered_at=None, answered=False, checked_at=NOW),
        FindingItem(site_id=site, region="绵阳市", level="city", check="V-HOME", severity="veto", points=0.0,
                    detail="首页14天未更新", confidence="confirmed", as_of=date(2026, 11, 27),
                    computed_at=NOW, key="", evidence=[home, "2026-11-10"], stale_data=False),
        ReviewItem(quarter="2026Q4", site_id=site, name="绵阳市人民政府", region="绵阳市", level="city",
                   url=home, sampled_at=NOW, seed=2_026_123_456_789, fraction=0.2, status="confirmed",
                   reviewer="张三", reviewed_at=NOW, findings_confirmed=["V-HOME"], findings_overturned=[],
                   notes="已核实"),
    ]


def _installed_fields(client: Elasticsearch, index: str) -> dict[str, Any]:
    answer = client.indices.get_mapping(index=index)
    return dict(next(iter(answer.values()))["mappings"]["properties"])


# --- pure: annotation -> mapping ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "annotation", "expected"), [
    ("url", str, {"type": "keyword", "ignore_above": 8191}),
    ("url", str | None, {"type": "keyword", "ignore_above": 8191}),
    ("title", str, {"type": "text", "analyzer": "standard",
                    "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}),
    ("ok", bool, {"type": "boolean"}),
    ("status", int | None, {"type": "long"}),
    ("points", float, {"type": "double"}),
    ("pub_date", date | None, {"type": "date", "format": "strict_date_optional_time||yyyy-MM-dd"}),
    ("fetched_at", datetime, {"type": "date", "format": "strict_date_optional_time||yyyy-MM-dd"}),
    ("severity", Literal["veto", "deduction"], {"type": "keyword"}),
    ("error", Literal["dns", "tls"] | None, {"type": "keyword"}),
    ("findings_confirmed", list[str], {"type": "keyword", "ignore_above": 8191}),
    ("meta", dict[str, str], {"type": "flattened"}),
])
def test_field_mapping_follows_the_annotation(name: str, annotation: Any, expected: dict[str, Any]) -> None:
    assert field_mapping(name, annotation) == expected


@pytest.mark.parametrize("annotation", [bytes, set[str], Literal[1, 2], int | str])
def test_field_without_a_rule_is_an_error_naming_it(annotation: Any) -> None:
    with pytest.raises(SchemaError, match=r"field 'odd'.*es_schema\.py"):
        field_mapping("odd", annotation)


def test_intended_types_cover_every_item_field() -> None:
    for cls, kind in ITEM_INDEX.items():
        declared = set(es_schema.item_fields(cls))
        missing = declared - set(INTENDED_TYPES[kind])
        assert not missing, f"{cls.__name__}: add {sorted(missing)} to INTENDED_TYPES (and check their type)"
        assert set(INTENDED_TYPES[kind]) <= declared, f"{cls.__name__} lost fields"


# --- real Elasticsearch -----------------------------------------------------------------------------

def test_templates_install_idempotently(es_client: Elasticsearch, es_prefix: str) -> None:
    first = install_templates(es_client, es_prefix)
    expected = [f"created {what} {index_name(es_prefix, kind)}" for kind in INDEX_KINDS
                for what in ("template", "index")]
    assert first == expected
    second = install_templates(es_client, es_prefix)
    assert second == [line.replace("created", "unchanged") for line in expected]
    template = es_client.indices.get_index_template(name=index_name(es_prefix, "pages"))
    settings = template["index_templates"][0]["index_template"]["template"]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"], settings["refresh_interval"]) == (
        "1", "0", "30s")


@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_local_refresh_interval_is_the_production_one(kind: IndexKind) -> None:
    production = json.loads((DEPLOY / "templates" / f"govcrawl-{kind}.json").read_text(encoding="utf-8"))
    local = es_schema.template_body("any", kind)["template"]["settings"]["index"]
    assert local["refresh_interval"] == production["template"]["settings"]["index"]["refresh_interval"]


def test_index_made_under_an_older_template_takes_the_refresh_interval(
        es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    pages = index_name(es_prefix, "pages")
    es_client.indices.put_settings(index=pages, settings={"index": {"refresh_interval": "1s"}})

    steps = install_templates(es_client, es_prefix)

    assert [step for step in steps if not step.startswith("unchanged")] == [f"updated settings of {pages}"]
    refresh = es_client.indices.get_settings(index=pages)[pages]["settings"]["index"]["refresh_interval"]
    assert refresh == "30s"
    assert all(step.startswith("unchanged") for step in install_templates(es_client, es_prefix))


def test_async_install_reports_like_sync(es_url: str, es_client: Elasticsearch, es_prefix: str) -> None:
    async def install_twice() -> tuple[list[str], list[str]]:
        client = AsyncElasticsearch(es_url, request_timeout=30)
        try:
            return await install_templates_async(client, es_prefix), await install_templates_async(
                client, es_prefix)
        finally:
            await client.close()

    first, second = asyncio.run(install_twice())
    assert all(line.startswith("created ") for line in first) and len(first) == 2 * len(INDEX_KINDS)
    assert all(line.startswith("unchanged ") for line in second)
    assert install_templates(es_client, es_prefix) == second


def test_workers_starting_together_both_succeed(
        es_url: str, es_client: Elasticsearch, es_prefix: str) -> None:
    async def install_concurrently() -> list[list[str]]:
        clients = [AsyncElasticsearch(es_url, request_timeout=30) for _ in range(2)]
        try:
            return list(await asyncio.gather(*(install_templates_async(client, es_prefix)
                                               for client in clients)))
        finally:
            for client in clients:
                await client.close()

    reports = asyncio.run(install_concurrently())
    assert all(len(report) == 2 * len(INDEX_KINDS) for report in reports)
    assert es_client.indices.exists(index=[index_name(es_prefix, kind) for kind in INDEX_KINDS])
    assert all(step.startswith("unchanged") for step in install_templates(es_client, es_prefix))


def test_changed_template_and_missing_field_are_updated(es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    pages = index_name(es_prefix, "pages")
    body = es_schema.template_body(es_prefix, "pages")
    body["template"]["settings"]["index"]["refresh_interval"] = "7s"
    es_client.indices.put_index_template(name=pages, **body)
    links = index_name(es_prefix, "links")
    es_client.indices.delete(index=links)
    es_client.indices.delete_index_template(name=links)  # as if installed by an older version
    older = copy.deepcopy(index_mapping("links"))
    del older["properties"]["anchor_text"]
    es_client.indices.create(index=links, mappings=older)

    steps = install_templates(es_client, es_prefix)

    assert f"updated template {pages}" in steps
    assert f"created template {links}" in steps
    assert f"updated index {links}" in steps
    assert f"updated settings of {links}" in steps  # created without a template: the default 1 s refresh
    assert sum(1 for step in steps if not step.startswith("unchanged")) == 4
    assert _installed_fields(es_client, links)["anchor_text"]["type"] == "text"
    assert all(step.startswith("unchanged") for step in install_templates(es_client, es_prefix))


def test_changed_field_type_is_refused_with_a_reason(es_client: Elasticsearch, es_prefix: str) -> None:
    probes = index_name(es_prefix, "probes")
    wrong = copy.deepcopy(index_mapping("probes"))
    wrong["properties"]["elapsed_ms"] = {"type": "keyword"}
    es_client.indices.create(index=probes, mappings=wrong)
    with pytest.raises(SchemaError, match=rf"updated index {probes}.*reindex"):
        install_templates(es_client, es_prefix)


def _local_production_template(prefix: str, kind: IndexKind) -> dict[str, Any]:
    """A deploy/ template made loadable here: own prefix, no ILM setting, built-in analyzers."""
    body = json.loads((DEPLOY / "templates" / f"govcrawl-{kind}.json").read_text(encoding="utf-8"))
    body["index_patterns"] = [f"{index_name(prefix, kind)}*"]
    body["template"]["settings"]["index"].pop("lifecycle", None)
    body["template"]["settings"]["index"]["number_of_replicas"] = 0
    body["template"]["mappings"] = index_mapping(kind)
    return dict(body)


def test_production_template_is_kept_and_rollover_alias_bootstrapped(
        es_client: Elasticsearch, es_prefix: str) -> None:
    probes = index_name(es_prefix, "probes")
    es_client.indices.put_index_template(name=probes, **_local_production_template(es_prefix, "probes"))

    steps = install_templates(es_client, es_prefix)

    assert f"kept production template {probes}" in steps
    assert f"created index {probes}-000001 (write alias {probes})" in steps
    probe = next(item for item in sample_items() if isinstance(item, ProbeItem))
    action = to_action(probe, es_prefix)
    es_client.index(index=action["_index"], id=action["_id"], document=action["_source"], refresh=True)
    assert es_client.get(index=probes, id=action["_id"])["_index"] == f"{probes}-000001"
    settings = es_client.indices.get_settings(index=f"{probes}-000001")[f"{probes}-000001"]["settings"]
    assert settings["index"]["codec"] == "best_compression"  # the production template was applied
    again = install_templates(es_client, es_prefix)
    assert f"unchanged index {probes}-000001" in again
    assert all(step.startswith(("unchanged", "kept")) for step in again)


def test_production_template_behind_the_code_is_refused(es_client: Elasticsearch, es_prefix: str) -> None:
    links = index_name(es_prefix, "links")
    body = _local_production_template(es_prefix, "links")
    del body["template"]["mappings"]["properties"]["confirmed"]
    es_client.indices.put_index_template(name=links, **body)
    with pytest.raises(SchemaError, match=rf"production template {links} differs .* confirmed"):
        install_templates(es_client, es_prefix)


def test_every_item_field_is_mapped_with_its_intended_type(es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    for kind, intended in INTENDED_TYPES.items():
        installed = _installed_fields(es_client, index_name(es_prefix, kind))  # type: ignore[arg-type]
        assert set(installed) == set(intended), kind
        for name, wanted in intended.items():
            assert installed[name]["type"] == wanted, f"{kind}.{name}"
            if wanted == TEXT:
                assert installed[name]["fields"]["keyword"]["type"] == "keyword", f"{kind}.{name}"
            if wanted == "date":
                assert installed[name]["format"] == "strict_date_optional_time||yyyy-MM-dd"


def test_unknown_field_is_rejected(es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    action = to_action(next(item for item in sample_items() if isinstance(item, LinkItem)), es_prefix)
    document = {**action["_source"], "colour": "red"}
    with pytest.raises(BadRequestError, match="strict_dynamic_mapping_exception"):
        es_client.index(index=action["_index"], id=action["_id"], document=document)
    assert es_client.count(index=action["_index"])["count"] == 0


def test_document_of_every_item_type_indexes_cleanly(es_client: Elasticsearch, es_prefix: str) -> None:
    install_templates(es_client, es_prefix)
    items = sample_items()
    assert {type(item) for item in items} == set(ITEM_INDEX)
    actions = [to_action(item, es_prefix) for item in items]

    indexed, errors = helpers.bulk(es_client, actions, raise_on_error=False, refresh=True)

    assert errors == [] and indexed == len(items)
    for item, action in zip(items, actions, strict=True):
        stored = es_client.get(index=action["_index"], id=action["_id"])["_source"]
        assert set(stored) == {item_field.name for item_field in dataclasses.fields(item)}  # type: ignore[arg-type]
    # Dates are dates: a range over pub_date and a flattened meta key both find the page.
    pages = index_name(es_prefix, "pages")
    found = es_client.search(index=pages, query={"bool": {"filter": [
        {"range": {"pub_date": {"gte": "2026-11-01", "lt": "2026-12-01"}}},
        {"term": {"meta.ColumnName": "通知公告"}}]}})
    assert found["hits"]["total"]["value"] == 1


# --- deploy/elasticsearch ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", INDEX_KINDS)
def test_production_template_matches_the_code(kind: IndexKind) -> None:
    body = json.loads((DEPLOY / "templates" / f"govcrawl-{kind}.json").read_text(encoding="utf-8"))
    assert body["index_patterns"] == [f"govcrawl-{kind}*"]
    assert body["_meta"]["profile"] == "production"
    mappings = body["template"]["mappings"]
    assert without_analyzers(mappings) == without_analyzers(index_mapping(kind))
    assert mappings == production_mapping(kind)
    settings = body["template"]["settings"]["index"]
    assert settings["number_of_shards"] >= 1 and settings["number_of_replicas"] >= 1
    for name, spec in mappings["properties"].items():
        if spec["type"] == "text":
            assert (spec["analyzer"], spec["search_analyzer"]) == ("ik_max_word", "ik_smart"), name


def test_rollover_templates_name_the_ilm_policy_and_its_alias() -> None:
    policy = json.loads((DEPLOY / "ilm" / "govcrawl-history.json").read_text(encoding="utf-8"))
    phases = policy["policy"]["phases"]
    assert phases["delete"]["min_age"] == "400d" and "delete" in phases["delete"]["actions"]
    assert "rollover" in phases["hot"]["actions"]
    rolled = []
    for path in sorted((DEPLOY / "templates").glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        lifecycle = body["template"]["settings"]["index"].get("lifecycle")
        assert bool(lifecycle) == bool(body["_meta"].get("rollover")), path.name
        if lifecycle:
            assert lifecycle == {"name": "govcrawl-history", "rollover_alias": path.stem}
            rolled.append(path.stem)
    assert rolled == ["govcrawl-probes"]


def test_sync_deploy_rewrites_only_the_mappings(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    for path in (DEPLOY / "templates").glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        body["template"]["mappings"] = {"properties": {}}
        (tmp_path / "templates" / path.name).write_text(json.dumps(body), encoding="utf-8")

    written = sync_deploy_templates(tmp_path)

    assert len(written) == len(INDEX_KINDS)
    for path in written:
        checked_in = DEPLOY / "templates" / path.name
        assert path.read_text(encoding="utf-8") == checked_in.read_text(encoding="utf-8")


# --- the command ------------------------------------------------------------------------------------

def test_templates_command_reports_what_it_did(env: Env) -> None:
    first = env.scrapy("templates", timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"created template {env.es_prefix}-pages" in first.stderr
    assert f"created index {env.es_prefix}-reviews" in first.stderr
    second = env.scrapy("templates", timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"unchanged index {env.es_prefix}-pages" in second.stderr
    assert f"0 of {2 * len(INDEX_KINDS)} templates and indices created or updated" in second.stderr


def test_templates_command_names_the_setting_when_elasticsearch_is_down(env: Env) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    result = env.scrapy("templates", settings=["-s", f"GOVCRAWL_ES_URL=http://127.0.0.1:{closed_port}"],
                        timeout=120)
    assert result.returncode == 1
    assert f"Elasticsearch at http://127.0.0.1:{closed_port} is unreachable" in result.stderr
    assert "GOVCRAWL_ES_URL" in result.stderr
