"""Registry parsing and `scrapy seed`: good files load, a file with a bad row loads nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crawler.registry import RegistryError, parse_registry, read_sites, registry_key

if TYPE_CHECKING:
    from pathlib import Path

    import redis

    from tests.conftest import Env

HEADER = "site_id,name,url,level,region,department\n"
GOOD = (
    HEADER
    + "5101000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,\n"
    + "5107000003,绵阳市教育局,https://edu.my.gov.cn/,department,绵阳市,教育局\n"
)


def test_good_registry_parses_every_field() -> None:
    sites = parse_registry(GOOD)
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
    ],
)
def test_bad_row_is_named_with_its_line_and_reason(row: str, expected: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(HEADER + row + "\n" + GOOD.split("\n", 1)[1])
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(expected), caught.value.problems


def test_duplicate_ids_and_bad_header_are_reported() -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(GOOD + "5101000001,again,http://y.gov.cn/,city,成都市,\n")
    assert caught.value.problems == ["line 4: site_id '5101000001' already used on line 2"]
    with pytest.raises(RegistryError, match="line 1: header is 'id,name'"):
        parse_registry("id,name\n1,x\n")
    with pytest.raises(RegistryError, match="line 1: the file is empty"):
        parse_registry("")


def test_a_utf8_bom_and_blank_lines_are_accepted() -> None:
    assert len(parse_registry("\ufeff" + GOOD + "\n\n")) == 2


def test_seed_loads_a_good_registry(env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = env.scrapy("seed", str(path))
    assert result.returncode == 0, result.stderr
    assert "Loaded 2 sites" in result.stderr
    assert [site.name for site in read_sites(redis_client, env.redis_prefix)] == [
        "成都市人民政府", "绵阳市教育局"
    ]


def test_seed_with_a_bad_row_loads_nothing(env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(GOOD + "5101000009,某县,http://x.gov.cn/,town,成都市,\n", encoding="utf-8")
    result = env.scrapy("seed", str(path))
    assert result.returncode == 1
    assert "line 4: level 'town' is not one of province, city, county, department" in result.stderr
    assert "Nothing was loaded" in result.stderr
    assert redis_client.exists(registry_key(env.redis_prefix)) == 0


def test_seed_rejects_a_file_that_is_not_utf8(env: Env, redis_client: redis.Redis, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(GOOD.encode("gbk"))
    result = env.scrapy("seed", str(path))
    assert result.returncode == 1
    assert "is not UTF-8; save it as UTF-8" in result.stderr
    assert redis_client.exists(registry_key(env.redis_prefix)) == 0
