"""A registered address that shows a splash page (进入首页, a meta refresh to index2.htm) leads to the real
home page. The links read there are reported found on index2.htm, the page that holds them (what staff
open to mend them), and such a link ends when a later read of the address shows it no more. A deleted page
sent to the home page is a soft 404 even when the home page leads on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conftest import crawl_and_report, page_server, seed_one_county_site

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Env

_SITE_ID = "5100000096"


def _site(state: dict[str, bool]) -> Any:
    def body(path: str) -> str | None:
        if path == "/":
            return ('<html><head><meta http-equiv="refresh" content="15;url=index2.htm">'
                    "<title>测试县人民政府</title></head><body><p>欢迎访问测试县人民政府网站</p>"
                    '<a href="index2.htm">进入首页</a></body></html>')
        if path == "/index2.htm":
            special = '<a href="/zt/2018/">往期专题</a>' if state["broken"] else ""
            rows = "".join(f'<li><a href="/gzdt/{n}.htm">测试县召开第{n}次重点工作推进会议</a>'
                           f"<span>2026-12-0{n}</span></li>" for n in range(1, 5))
            return ('<html><head><title>测试县人民政府</title></head><body>'
                    '<div class="nav"><a href="/">首页</a><a href="/gzdt/index.htm">工作动态</a></div>'
                    f'<div class="box"><h3>工作动态</h3><ul>{rows}</ul></div>{special}'
                    "<p>主办单位：测试县人民政府办公室 网站标识码：5100000096</p></body></html>")
        if path == "/gzdt/index.htm":
            rows = "".join(f'<li><a href="/gzdt/{n}.htm">测试县召开第{n}次重点工作推进会议</a>'
                           f"<span>2026-12-0{n}</span></li>" for n in range(1, 4))
            return f'<html><head><title>工作动态</title></head><body><ul>{rows}</ul></body></html>'
        if path == "/gzdt/4.htm":  # deleted: sent to the home page, and so on to index2.htm
            return '<html><head><meta http-equiv="refresh" content="0;url=/"></head><body></body></html>'
        if path.startswith("/gzdt/") and path.endswith(".htm"):
            n = path.rsplit("/", 1)[1].removesuffix(".htm")
            return ('<html><head><title>会议</title></head><body>'
                    f"<h1>测试县召开第{n}次重点工作推进会议</h1><p>发布日期：2026-12-0{n}</p>"
                    "<p>会议要求各部门切实抓好各项工作落实。</p></body></html>")
        return None
    return body


def test_links_of_a_splash_pages_home_are_found_on_it_and_end_when_mended(env: Env, tmp_path: Path) -> None:
    state = {"broken": True}
    with page_server("127.0.34.2", _site(state)) as url:
        seed_one_county_site(env, tmp_path, url, _SITE_ID)
        [first] = crawl_and_report(env, tmp_path, "first")[0]["sites"]
        # The deleted notice ended on index2.htm, but by way of the home page: a soft 404, and no read of
        # index2.htm (which would end the links read there).
        assert sorted((link["url"], link["found_on"], link["on_homepage"], link["error"])
                      for link in first["dead_links"]) == [
            (f"{url}gzdt/4.htm", f"{url}index2.htm", True, "soft404"),
            (f"{url}zt/2018/", f"{url}index2.htm", True, "http")]
        state["broken"] = False
        recheck = env.scrapy("recheck", _SITE_ID, timeout=120)
        assert recheck.returncode == 0, recheck.stderr[-2000:]
        [second] = crawl_and_report(env, tmp_path, "second")[0]["sites"]
    assert [link["url"] for link in second["dead_links"]] == [f"{url}gzdt/4.htm"]
