"""Registry parsing and `scrapy seed`: good rows load, each bad row is named with its line and reason."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING, Any

import pytest
from elasticsearch import helpers

from crawler.registry import RegistryError, load_registry, parse_registry, read_sites, registry_key
from tests.conftest import Env, service_prefixes, terminate

if TYPE_CHECKING:
    from pathlib import Path

    import redis
    from elasticsearch import Elasticsearch

HEADER = "site_id,name,url,level,region,department\n"
GOOD = (
    HEADER
    + "5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,\n"
    + "5107000003,绵阳市教育局,https://edu.my.gov.cn/,department,绵阳市,教育局\n"
)


def _url_row(url: str) -> str:
    return f"5101000009,某县,{url},county,成都市,"


def test_good_registry_parses_every_field() -> None:
    parsed = parse_registry(GOOD)
    assert parsed.problems == []
    sites = parsed.sites
    assert [site.site_id for site in sites] == ["5101000001", "5107000003"]
    assert sites[1].department == "教育局"
    assert sites[1].host == "edu.my.gov.cn"
    assert sites[0].has_official_id


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("5101000009,某县,http://x.gov.cn/,town,成都市,",
         "line 2: level 'town' is not one of province, city, county"),
        ("5101000009,某县,ftp://x.gov.cn/,county,成都市,",
         "line 2: url 'ftp://x.gov.cn/' is not an http or https"),
        ("5101000009,,http://x.gov.cn/,county,成都市,", "line 2: name must not be empty"),
        ("5101000009,某县,http://x.gov.cn/,county,,", "line 2: region must not be empty"),
        ("5101000009,某县,http://x.gov.cn/,county", "line 2: 4 fields; expected 6"),
        ("51 01,某县,http://x.gov.cn/,county,成都市,", "line 2: site_id '51 01' must be"),
        (_url_row("http://x.gov.cn:99999/"),
         "line 2: url 'http://x.gov.cn:99999/' has a port outside 1-65535"),
        (_url_row("http://x.gov.cn:0/"), "line 2: url 'http://x.gov.cn:0/' has a port outside"),
        (_url_row("http://x.gov.cn:abc/"), "line 2: url 'http://x.gov.cn:abc/' has a port"),
        (_url_row("http://x .gov.cn/"), "line 2: url 'http://x .gov.cn/' contains a space"),
        (_url_row("http://-x.gov.cn/"), "line 2: url host '-x.gov.cn' is not a domain name"),
        (_url_row("http://x..gov.cn/"), "line 2: url host 'x..gov.cn' is not a domain name"),
        (_url_row("http://gov/"), "line 2: url host 'gov' is not a domain name"),
        (_url_row("http://x!.gov.cn/"), "line 2: url host 'x!.gov.cn' is not a domain"),
        (_url_row("http://admin:s3cret@x.gov.cn/"),
         "line 2: url 'http://***@x.gov.cn/' carries a user name or password: credentials in the URL are "
         "refused"),
        (_url_row("http://admin@x.gov.cn/"), "line 2: url 'http://***@x.gov.cn/' carries"),
    ],
)
def test_bad_row_is_named_with_its_line_and_reason_and_good_rows_still_load(row: str, expected: str) -> None:
    parsed = parse_registry(HEADER + row + "\n" + GOOD.split("\n", 1)[1])
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith(expected), parsed.problems
    assert "\n" not in parsed.problems[0]
    assert "s3cret" not in parsed.problems[0]
    assert [site.site_id for site in parsed.sites] == ["5101000001", "5107000003"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://成都.政府.cn/", "xn--vnuo85h.xn--mxtq1m.cn"),
        ("https://www.四川.中国:8443/index.html", "www.xn--wbsy6n.xn--fiqs8s"),
        ("http://WWW.Chengdu.GOV.cn/", "www.chengdu.gov.cn"),
        ("http://127.0.6.1:8080/", "127.0.6.1"),
        ("http://[2001:db8::1]:8080/", "2001:db8::1"),
        ("http://x_y.gov.cn/", "x_y.gov.cn"),
    ],
)
def test_valid_hosts_load_and_a_chinese_domain_is_converted_to_idna(url: str, host: str) -> None:
    parsed = parse_registry(HEADER + f"5101000009,某县,{url},county,成都市,\n")
    assert parsed.problems == []
    assert parsed.sites[0].host == host
    assert parsed.sites[0].url.isascii()


def test_a_converted_url_keeps_its_port_and_path() -> None:
    site = parse_registry(HEADER + "5101000009,某县,https://www.四川.中国:8443/a/b.html?x=1,county,成都市,\n").sites[0]
    assert site.url == "https://www.xn--wbsy6n.xn--fiqs8s:8443/a/b.html?x=1"


def test_duplicate_ids_and_urls_name_both_lines_and_bad_header_loads_nothing() -> None:
    parsed = parse_registry(GOOD + "5101000001,again,http://y.gov.cn/,city,成都市,\n")
    assert parsed.problems == ["line 4: site_id '5101000001' already used on line 2"]
    assert len(parsed.sites) == 2
    # The same site written differently (case, default port, empty path) is the same URL.
    parsed = parse_registry(GOOD + "5101000002,again,HTTP://WWW.CHENGDU.GOV.CN:80,city,成都市,\n")
    assert parsed.problems == [
        "line 4: url 'HTTP://WWW.CHENGDU.GOV.CN:80' of site_id '5101000002' is already registered on line 2 "
        "as site_id '5101000001'"
    ]
    assert parse_registry(GOOD + "5101000002,other port,http://www.chengdu.gov.cn:8080/,city,成都市,\n"
                          ).problems == []
    with pytest.raises(RegistryError, match="line 1: header is 'id,name'"):
        parse_registry("id,name\n1,x\n")
    with pytest.raises(RegistryError, match="line 1: the file is empty"):
        parse_registry("")


def test_a_utf8_bom_and_blank_lines_are_accepted() -> None:
    assert len(parse_registry("\ufeff" + GOOD + "\n\n").sites) == 2


def test_seed_loads_a_good_registry(env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = env.scrapy("seed", str(path))
    assert result.returncode == 0, result.stderr
    assert "Loaded 2 sites" in result.stderr
    assert [site.name for site in read_sites(redis_client, env.redis_prefix)] == [
        "成都市人民政府", "绵阳市教育局"
    ]


def test_seed_loads_the_good_rows_names_the_bad_ones_and_exits_non_zero(
        env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD + "5101000009,某县,http://x.gov.cn/,town,成都市,\n"
                    + "5101000010,某区,http://x.gov.cn:99999/,county,成都市,\n", encoding="utf-8")
    result = env.scrapy("seed", str(path))
    assert result.returncode == 1
    assert "line 4: level 'town' is not one of province, city, county, department" in result.stderr
    assert "line 5: url 'http://x.gov.cn:99999/' has a port outside 1-65535" in result.stderr
    assert "Loaded 2 sites" in result.stderr
    assert "2 bad rows of" in result.stderr and "were left out: fix them and run seed again" in result.stderr
    assert "Traceback" not in result.stderr
    loaded = [site.site_id for site in read_sites(redis_client, env.redis_prefix)]
    assert loaded == ["5101000001", "5107000003"]


def test_seed_replace_with_a_bad_row_removes_nothing(env: Env, redis_client: redis.Redis, tmp_path: Path
                                                     ) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert env.scrapy("seed", str(path)).returncode == 0
    # The second site's row is broken now: --replace must not take it for a site that left the registry.
    path.write_text(HEADER + "5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,\n"
                    + "5107000003,绵阳市教育局,https://edu.my.gov.cn:70000/,department,绵阳市,教育局\n",
                    encoding="utf-8")
    result = env.scrapy("seed", str(path), "--replace")
    assert result.returncode == 1
    assert "--replace removes nothing this time" in result.stderr
    assert len(read_sites(redis_client, env.redis_prefix)) == 2


def test_strict_loading_refuses_a_file_with_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD + "5101000009,某县,http://a:b@x.gov.cn/,county,成都市,\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"line 4: url 'http://\*\*\*@x\.gov\.cn/' carries"):
        load_registry(path)


def test_seed_rejects_a_file_that_is_not_utf8(env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(GOOD.encode("gbk"))
    result = env.scrapy("seed", str(path))
    assert result.returncode == 1
    assert "is not UTF-8; save it as UTF-8" in result.stderr
    assert redis_client.exists(registry_key(env.redis_prefix)) == 0


def test_seed_refuses_an_uppercase_index_prefix_before_writing_anything(
        env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = env.scrapy("seed", str(path), settings=("-s", "GOVCRAWL_ES_INDEX_PREFIX=GovCrawl"))
    assert result.returncode == 1
    assert "GOVCRAWL_ES_INDEX_PREFIX 'GovCrawl' is refused: Elasticsearch index names are lower case" in (
        result.stderr)
    assert "Traceback" not in result.stderr
    assert list(redis_client.scan_iter(match=f"{env.redis_prefix}:*")) == []


def _generated_registry(path: Path, rows: int) -> Path:
    lines = [HEADER.rstrip("\n")]
    lines += [f"51{number:08d},测试站点{number},http://s{number}.test.gov.cn/,county,成都市,"
              for number in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _seeded_state(env: Env, redis_client: redis.Redis, es_client: Elasticsearch) -> dict[str, Any]:
    """What a seed leaves: the Redis registry, the due members, and the site documents (without times)."""
    due: set[bytes] = set()
    for key in redis_client.scan_iter(match=f"{env.redis_prefix}:due:*"):
        due.update(redis_client.zrange(key, 0, -1))
    documents = {hit["_id"]: {name: value for name, value in hit["_source"].items()
                              if name != "registered_at"}
                 for hit in helpers.scan(es_client, index=f"{env.es_prefix}-sites",
                                         query={"query": {"match_all": {}}})}
    return {"registry": redis_client.hgetall(registry_key(env.redis_prefix)), "due": due, "sites": documents}


SEED_ROWS = 20_000


def test_seed_loads_20000_rows_in_seconds(env: Env, redis_client: redis.Redis, es_client: Elasticsearch,
                                          tmp_path: Path) -> None:
    path = _generated_registry(tmp_path / "registry.csv", SEED_ROWS)
    started = time.monotonic()
    result = env.scrapy("seed", str(path))
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Loaded {SEED_ROWS} sites" in result.stderr
    # About 4 s here (100,000 rows: 18 s); a refresh per bulk request took 3.5 minutes for 20,000.
    assert seconds < 45, seconds
    state = _seeded_state(env, redis_client, es_client)
    counts = (len(state["registry"]), len(state["due"]), len(state["sites"]))
    assert counts == (SEED_ROWS, 2 * SEED_ROWS, SEED_ROWS)


def test_a_seed_killed_midway_and_run_again_ends_as_one_clean_run(
        env: Env, redis_client: redis.Redis, es_client: Elasticsearch, tmp_path: Path) -> None:
    path = _generated_registry(tmp_path / "registry.csv", SEED_ROWS)
    sites_index = f"{env.es_prefix}-sites"
    seed = env.popen("seed", str(path))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seed.poll() is None:
            if es_client.indices.exists(index=sites_index):
                es_client.indices.refresh(index=sites_index)
                if es_client.count(index=sites_index)["count"] > 0:
                    break
            time.sleep(0.05)
        seed.send_signal(signal.SIGKILL)
        seed.wait(timeout=10)
    finally:
        terminate(seed)
    es_client.indices.refresh(index=sites_index)
    assert 0 < es_client.count(index=sites_index)["count"] < SEED_ROWS, "the seed was not killed midway"
    # Elasticsearch comes first: Redis schedules no site the reports cannot see.
    assert redis_client.hlen(registry_key(env.redis_prefix)) == 0

    again = env.scrapy("seed", str(path))
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = _seeded_state(env, redis_client, es_client)

    with service_prefixes(env.redis_url, env.es_url) as (redis_prefix, es_prefix):
        clean_env = Env(env.redis_url, env.es_url, redis_prefix, es_prefix, tmp_path / "clean-spool")
        clean = clean_env.scrapy("seed", str(path))
        assert clean.returncode == 0, clean.stderr[-2000:]
        assert resumed == _seeded_state(clean_env, redis_client, es_client)


def test_an_unreadable_registry_entry_in_redis_is_left_out_not_fatal(
        env: Env, redis_client: redis.Redis, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert env.scrapy("seed", str(path)).returncode == 0
    redis_client.hset(registry_key(env.redis_prefix),
                      mapping={"broken": "{not json", "short": '{"site_id":"x"}'})
    readable = [site.site_id for site in read_sites(redis_client, env.redis_prefix)]
    assert readable == ["5101000001", "5107000003"]
    assert "Registry entry b'broken' in Redis is unreadable" in caplog.text
    assert "Registry entry b'short' in Redis is unreadable" in caplog.text


OWNED = ("site_id,name,url,level,region,department,owner,contact,supervisor\n"
         "5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,,张三,028-12345678,成都市政务服务管理局\n"
         "5107000003,绵阳市教育局,https://edu.my.gov.cn/,department,绵阳市,教育局,,,\n")


def test_owner_columns_are_optional_and_read_when_present() -> None:
    parsed = parse_registry(OWNED)
    assert parsed.problems == []
    first, second = parsed.sites
    assert (first.owner, first.contact, first.supervisor) == ("张三", "028-12345678", "成都市政务服务管理局")
    assert (second.owner, second.contact, second.supervisor) == ("", "", "")
    # Any of them alone, after the six required columns.
    only_contact = parse_registry(HEADER.strip() + ",contact\n"
                                  "5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,,a@b.cn\n")
    assert only_contact.sites[0].contact == "a@b.cn"
    # The older six-column registry still loads, owners empty.
    assert parse_registry(GOOD).sites[0].owner == ""


@pytest.mark.parametrize("header", [
    "site_id,name,url,level,region,department,phone",
    "site_id,name,url,level,region,department,owner,owner",
    "site_id,name,url,level,region,owner,department",
])
def test_an_unknown_or_misplaced_optional_column_is_refused(header: str) -> None:
    with pytest.raises(RegistryError, match="optionally followed by any of owner,contact,supervisor"):
        parse_registry(header + "\n")


@pytest.mark.parametrize("region", ["Chengdu", "成都", "成都市 ", "四川"])
def test_a_region_that_is_not_a_known_city_is_named_with_the_known_ones(region: str) -> None:
    parsed = parse_registry(HEADER + f"5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,{region},\n")
    if region.strip() == "成都市":  # surrounding spaces are trimmed like every field
        assert parsed.problems == []
        return
    assert parsed.sites == []
    [problem] = parsed.problems
    assert problem.startswith(f"line 2: region {region!r} is not a known city (市州); known: ")
    assert "成都市" in problem and "凉山彝族自治州" in problem


def test_seed_stores_the_owner_where_reports_read_it(env: Env, es_client: Elasticsearch, tmp_path: Path
                                                     ) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(OWNED, encoding="utf-8")
    result = env.scrapy("seed", str(path))
    assert result.returncode == 0, result.stderr
    [hit] = es_client.search(index=f"{env.es_prefix}-sites", query={"term": {"site_id": "5101000001"}}
                             )["hits"]["hits"]
    source = hit["_source"]
    assert (source["owner"], source["contact"], source["supervisor"]) == (
        "张三", "028-12345678", "成都市政务服务管理局")
