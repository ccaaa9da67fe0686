"""A home page made of frames (an old county site's <frameset>: menu, content and footer frames) is read as
what its frames show together: its columns, its dated news and its footer marks are found, so the site is
not given false vetoes (V-HOME) or missing marks (D-ID, D-ERRLINK)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.extract.links import extract_links, parse_html
from crawler.middlewares.frameset import combined_page, frame_sources, is_frameset
from tests.conftest import crawl_and_report, page_server, seed_one_county_site

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import Env

_COLUMNS = (("xwzx/gzdt.htm", "工作动态"), ("zwgk/tzgg.htm", "通知公告"))


def _body(path: str) -> str | None:
    if path in ("/", "/index.htm"):
        return ('<html><head>'
                    "<title>测试县人民政府</title></head>"
                    '<frameset rows="120,*,80"><frame src="top.htm" name="topFrame">'
                    '<frame src="main.htm" name="mainFrame"><frame src="bottom.htm" name="bottomFrame">'
                    '</frameset><noframes><body><a href="main.htm">进入</a></body></noframes></html>')
    if path == "/top.htm":
        menu = "".join(f'<li><a href="/{url}" target="mainFrame">{name}</a></li>' for url, name in _COLUMNS)
        return ('<html><head></head><body><div class="nav"><ul>'
                    f'<li><a href="/" target="_top">首页</a></li>{menu}</ul></div></body></html>')
    if path == "/main.htm":  # an XHTML page: lxml refuses its declaration in a str
        rows = "".join(f'<li><a href="/gzdt/2026/{n}.htm">测试县召开第{n}次重点工作推进会议</a>'
                       f"<span>2026-12-0{n}</span></li>" for n in range(1, 5))
        return ('<?xml version="1.0" encoding="gb2312"?><html><head></head><body><div class="box">'
                f'<h3>工作动态</h3><a href="/xwzx/gzdt.htm">更多</a><ul>{rows}</ul></div>'
                '<p><a href="/zt/2018/">往期专题</a></p></body></html>')  # a broken link: no such page
    if path == "/bottom.htm":
        return ('<html><head></head><body><p>主办单位：测试县人民政府办公室 '
                    "网站标识码：5100000094 蜀ICP备12345678号 川公网安备 51000000000001号 "
                    '<a href="/jiucuo.htm">我为政府网站找错</a></p></body></html>')
    if path in ("/xwzx/gzdt.htm", "/zwgk/tzgg.htm"):
        rows = "".join(f'<li><a href="/gzdt/2026/{n}.htm">测试县召开第{n}次重点工作推进会议</a>'
                       f"<span>2026-12-0{n}</span></li>" for n in range(1, 5))
        return (f'<html><head><title>栏目</title></head><body><ul>{rows}</ul>'
                    "</body></html>")
    if path.startswith("/gzdt/2026/"):
        n = path.rsplit("/", 1)[1].split(".", maxsplit=1)[0]
        return (f'<html><head><title>会议</title></head><body>'
                    f"<h1>测试县召开第{n}次重点工作推进会议</h1><p>发布日期：2026-12-0{n}</p>"
                    "<p>会议要求各部门切实抓好各项工作落实。</p></body></html>")
    return None


def test_frame_sources_and_the_combined_page() -> None:
    home = _body("/")
    assert home is not None
    assert is_frameset(home.encode())
    assert frame_sources(parse_html(home), "http://127.0.33.5/") == [
        "http://127.0.33.5/top.htm", "http://127.0.33.5/main.htm", "http://127.0.33.5/bottom.htm"]
    page = "<html><body><iframe src='/x.htm'></iframe></body></html>"
    assert not is_frameset(page.encode())
    assert frame_sources(parse_html(page), "http://a/") == []
    frames = [("http://a/top.htm", '<body><a href="list.htm">栏目</a></body>'), ("http://a/gone.htm", None)]
    page = combined_page("http://a/", "<title>t</title>", frames)
    assert 'href="http://a/list.htm"' in page  # a frame's links are absolute: they were relative to the frame
    assert page.count("<iframe") == 2  # every frame is still a link of the home page, read or not
    [link] = [link for link in extract_links(page, "http://a/", site_host="a") if link.url == "http://a/list.htm"]
    assert link.frame == "http://a/top.htm"  # the frame whose file holds the link


def _read_through_frames(env: Env, tmp_path: Path, address: str, body: Callable[[str], str | None],
                         site_id: str) -> tuple[str, dict[str, Any]]:
    """Crawl the frameset site once: (its URL, its report). Its columns and news are found through the
    frames that answer."""
    with page_server(address, body) as url:
        seed_one_county_site(env, tmp_path, url, site_id)
        report, _ = crawl_and_report(env, tmp_path, "report")
    [site] = report["sites"]
    assert sorted(column["url"].removeprefix(url) for column in site["columns"]) == sorted(
        path for path, _ in _COLUMNS)
    assert site["homepage_latest_date"] == "2026-12-04"
    return url, site


def test_a_frameset_home_page_is_read_through_its_frames(env: Env, tmp_path: Path) -> None:
    url, site = _read_through_frames(env, tmp_path, "127.0.33.5", _body, "5100000094")
    # Read alone, the frameset shows no news (V-HOME), none of the footer's marks (D-ID) and no
    # 我为政府网站找错 link (D-ERRLINK). (This small site has no 互动 or 办事 columns: V-CHANNEL and
    # V-SERVICE are right.)
    checks = {finding["check"] for finding in site["findings"]}
    assert not checks & {"V-HOME", "D-ID", "D-ERRLINK"}, checks
    # A broken link in the content frame is reported once: found on the frame page, whose file holds it,
    # and on the home page, which shows it.
    broken = [(link["found_on"].removeprefix(url), link["on_homepage"]) for link in site["dead_links"]
              if link["url"] == f"{url}zt/2018/"]
    assert broken == [("main.htm", True)]


def _without_footer_frame(path: str) -> str | None:
    return None if path == "/bottom.htm" else _body(path)


def test_a_frame_that_is_gone_is_a_broken_link_of_the_home_page_read_through_the_others(
        env: Env, tmp_path: Path) -> None:
    url, site = _read_through_frames(env, tmp_path, "127.0.33.7", _without_footer_frame, "5100000093")
    gone = [(link["found_on"], link["on_homepage"], link["status"]) for link in site["dead_links"]
            if link["url"] == f"{url}bottom.htm"]
    assert gone == [(url, True, 404)]
    # The footer was in that frame: its marks are missing now (D-ID), as a visitor sees.
    assert "D-ID" in {finding["check"] for finding in site["findings"]}
