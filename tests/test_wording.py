"""Wrong words, names, posts and banned terms (crawler/extract/wording.py) and the shipped dictionaries."""

from __future__ import annotations

import collections
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.settings import Settings

from crawler import defaults
from crawler.content_findings import content_dictionaries
from crawler.extract.wording import (
    DEFAULT_DICTIONARY_DIR,
    Dictionaries,
    DictionaryError,
    dictionaries_at,
    find_terms,
    find_wording,
    links_blocked_domain,
    load_dictionaries,
)
from crawler.page_analysis import analyze_page
from crawler.registry import Site

REAL_PAGES = Path(__file__).parent / "data" / "real-pages"
UNSEEN_PAGES = Path(__file__).parent / "data" / "unseen-pages"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def shipped() -> Dictionaries:
    return dictionaries_at(str(DEFAULT_DICTIONARY_DIR))


def _found(text: str, dictionaries: Dictionaries, on: date = TODAY) -> set[tuple[str, str, str]]:
    return {(hit.kind, hit.severity, hit.found) for hit in find_wording(text, dictionaries, on=on)}


def test_the_shipped_dictionaries_load_without_a_bad_line(shipped: Dictionaries) -> None:
    assert shipped.problems == []
    assert len(shipped.terms) > 50
    assert "李强" in shipped.posts


@pytest.mark.parametrize(("text", "expected"), [
    ("对历史问题既往不究。", {("typo", "ordinary", "既往不究")}),
    ("当前形式严峻复杂。", {("typo", "ordinary", "当前形式"), ("typo", "ordinary", "形式严峻")}),
    ("依据《中华人民共和国信息公开条例》第十条。", {("name", "ordinary", "中华人民共和国信息公开条例")}),
    ("中华人民共合国成立七十七周年。", {("national", "serious", "中华人民共合国")}),
    ("深入学习习进平总书记重要讲话。", {("leader", "serious", "习进平")}),
])
def test_wrong_forms_are_found_with_their_kind_and_severity(shipped: Dictionaries, text: str,
                                                             expected: set[tuple[str, str, str]]) -> None:
    assert _found(text, shipped) == expected


@pytest.mark.parametrize("text", [
    "坚决反对当前形式主义、官僚主义问题。",  # 当前形式 inside 当前形式主义
    "大家学习近乎痴迷。",  # 习近乎 inside 学习近乎
    "做好宣传布置工作。",  # 宣传布 inside 宣传布置
    "中华人民共和国成立，中国共产党领导，经济形势持续向好。",
    "依据《中华人民共和国政府信息公开条例》，现予公开。",
])
def test_correct_text_raises_nothing(shipped: Dictionaries, text: str) -> None:
    assert _found(text, shipped) == set()


def test_a_wrong_form_gives_the_right_one_and_its_sentence(shipped: Dictionaries) -> None:
    [hit] = find_wording("第一句话。对违纪问题决不能既往不究，要严肃处理！后面一句。", shipped, on=TODAY)
    assert (hit.right, hit.evidence) == ("既往不咎", "对违纪问题决不能既往不究，要严肃处理！")


@pytest.mark.parametrize(("text", "on", "wrong"), [
    ("国务院总理李克强主持召开国务院常务会议。", date(2026, 3, 1), True),  # left office 2023-03-11
    ("国务院总理李克强主持召开国务院常务会议。", date(2020, 3, 1), False),  # held it then
    ("国务院总理李强主持召开国务院常务会议。", date(2026, 3, 1), False),
    ("李克强总理主持召开国务院常务会议。", date(2026, 3, 1), True),  # the post after the name
    ("时任国务院总理李克强到我省考察。", date(2026, 3, 1), False),  # 时任: the past
    ("原国务院总理李克强同志逝世。", date(2026, 3, 1), False),
    ("国务院副总理李强会见代表团。", date(2026, 3, 1), False),  # another post, not in the dictionary
    ("国家主席李强会见外宾。", date(2026, 3, 1), True),  # a post he never held
    ("国务院总理李强国讲话。", date(2026, 3, 1), False),  # a longer name: not judged
    ("2015年，李克强总理来我省考察。", date(2026, 3, 1), False),  # a year he held the post
    ("李强副总理会见代表团。", date(2026, 3, 1), False),
])
def test_a_leader_is_judged_beside_a_post_at_the_articles_date(shipped: Dictionaries, text: str, on: date,
                                                                wrong: bool) -> None:
    hits = [hit for hit in find_wording(text, shipped, on=on) if hit.kind == "post"]
    assert bool(hits) is wrong
    if wrong:
        assert hits[0].severity == "serious" and on.isoformat() in hits[0].right


def test_injected_terms_count_in_text_from_two_and_in_an_anchor_from_one(shipped: Dictionaries) -> None:
    notice = "警方破获一起利用百家乐进行赌博的案件。"
    assert _found(notice, shipped) == set()
    advert = "澳门新葡京娱乐城，真人视讯百家乐，注册送彩金。"
    assert {kind for kind, _, _ in _found(advert, shipped)} == {"gambling"}
    assert [hit.found for hit in find_terms("百家乐官网", shipped)] == ["百家乐"]
    assert find_terms("体育投注站开业", shipped) == []


def test_blocked_domains_cover_subdomains_only(shipped: Dictionaries) -> None:
    assert links_blocked_domain("http://www.casino-farm.test/a", shipped)
    assert links_blocked_domain("https://casino-farm.test:8080/", shipped)
    assert not links_blocked_domain("http://notcasino-farm.test/", shipped)
    assert not links_blocked_domain("http://example.com/casino-farm.test", shipped)


def test_a_bad_dictionary_line_is_left_out_and_named(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "my-terms.tsv").write_text(
        "# comment\n既往不究\t既往不咎\ttypo\tordinary\n再接再励\t再接再厉\ttypo\tbig\n按步就班\n",
        encoding="utf-8")
    (tmp_path / "leaders.tsv").write_text("张三\t省长\t-\t2024-13-01\t-\n李四\t市长\t-\t2024-01-01\t-\n",
                                          encoding="utf-8")
    loaded = load_dictionaries(tmp_path)
    assert set(loaded.terms) == {"既往不究"} and set(loaded.posts) == {"李四"}
    assert [problem.split(": ", 1)[1] for problem in loaded.problems] == [
        "severity 'big' is not one of serious, ordinary",
        "needs 4 or 5 tab-separated fields (wrong form, right form, kind, severity, not within), found 1",
        "date '2024-13-01' is not YYYY-MM-DD",
    ]
    assert f"{tmp_path / 'my-terms.tsv'} line 3" in loaded.problems[0]
    assert "the line is left out" in caplog.text
    with pytest.raises(DictionaryError, match="does not exist: set GOVCRAWL_CONTENT_DICTIONARY_DIR"):
        load_dictionaries(tmp_path / "missing")


def _site_url(html: str) -> str:
    """The page's own address: its canonical link, else the host most of its absolute links go to."""
    declared = re.search(r'rel="canonical" href="(https?://[^"]+)"|og:url" content="(https?://[^"]+)"', html)
    if declared is not None:
        return declared.group(1) or declared.group(2)
    links = re.findall(r'href="(https?://[^"]+)"', html)
    hosts = collections.Counter(urlsplit(href).hostname for href in links)
    return f"http://{hosts.most_common(1)[0][0] if hosts else 'www.example.gov.cn'}/article.html"


@pytest.mark.parametrize("path", [*sorted(REAL_PAGES.glob("*.html")), *sorted(UNSEEN_PAGES.rglob("*.html"))],
                         ids=lambda path: path.name)
def test_the_real_pages_raise_no_content_issue(shipped: Dictionaries, path: Path) -> None:
    """The 53 real pages and the 120 unseen ones (news and government sites) raise nothing at all."""
    body = path.read_bytes()
    url = _site_url(body.decode("latin-1"))
    site = Site(site_id="x", name="x", url=f"http://{urlsplit(url).hostname}/", level="city", region="成都市",
                department="")
    analysis = analyze_page(body=body, url=url, final_url=url, status=200, content_type="text/html",
                            site=site, page_kind="article", depth=1, column_name=None, column_level=None,
                            column_url=None, listing_date=None, today=TODAY, fetched_at=datetime.now(UTC),
                            dictionaries=shipped)
    assert analysis.page.content_issues == []


def _article(html: str, dictionaries: Dictionaries, *, kind: str = "article",
             url: str = "http://www.cdjj.gov.cn/tzgg/t20260301_1.html") -> list[dict[str, str]]:
    site = Site(site_id="510104000001", name="锦江区人民政府", url="http://www.cdjj.gov.cn/", level="county",
                region="成都市", department="")
    body = f"<html><head><title>通知</title></head><body>{html}</body></html>".encode()
    url = url if kind == "article" else "http://www.cdjj.gov.cn/"
    analysis = analyze_page(body=body, url=url, final_url=url, status=200,
                            content_type="text/html; charset=utf-8", site=site, page_kind=kind, depth=1,
                            column_name=None, column_level=None,
                            column_url=None, listing_date=None, today=TODAY, fetched_at=datetime.now(UTC),
                            dictionaries=dictionaries)
    return analysis.page.content_issues


def test_a_page_records_each_issue_where_it_stands(shipped: Dictionaries) -> None:
    # one gambling term in the text is not enough there; in an anchor to another host it is
    issues = _article(
        '<h1>关于做好防汛工作的通知</h1><p>发布日期：2026-03-01</p><p>当前防汛形式严峻，对失职行为决不既往不究。</p>'
        '<a href="http://bet.example.com/">澳门新葡京</a>'
        '<script src="http://cdn.casino-farm.test/a.js"></script>', shipped)
    assert {(issue["kind"], issue["found"], issue["where"]) for issue in issues} == {
        ("typo", "防汛形式", "text"), ("typo", "形式严峻", "text"), ("typo", "既往不究", "text"),
        ("gambling", "澳门新葡京", "anchor"), ("blocked", "http://cdn.casino-farm.test/a.js", "link")}
    assert all(issue["evidence"] for issue in issues)
    notice = ('<h1>关于公布检查结果的通知</h1><p>发布日期：2026-03-01</p><p>现将本次检查结果予以公布，'
              '请各单位认真对照整改。</p><p>附件：<a href="/uploads/1.xlsx">百家乐名单.xlsx</a></p>')
    [named] = _article(notice, shipped)
    assert (named["kind"], named["found"], named["where"]) == ("gambling", "百家乐", "attachment")


def test_a_leaders_post_is_judged_at_the_pages_date_and_not_without_one(shipped: Dictionaries) -> None:
    text = "<h1>国务院常务会议召开</h1>{shown}<p>国务院总理李克强主持召开国务院常务会议，研究部署工作。</p>"
    [dated] = _article(text.format(shown="<p>发布日期：2026-03-01</p>"), shipped)
    assert (dated["kind"], dated["found"]) == ("post", "国务院总理李克强")
    # Undated (an old page kept online, a 2013 blog post): nothing says when the sentence was true.
    assert _article(text.format(shown=""), shipped, url="http://www.cdjj.gov.cn/tzgg/1.html") == []


def test_only_articles_are_read_for_wrong_words(shipped: Dictionaries) -> None:
    # other pages are read for banned and injected terms only, in their text blocks (blanks dropped)
    assert _article("<p>对历史问题既往不究。</p><p>澳门新葡京 百家乐 真人视讯</p>", shipped, kind="home") == [
        {"kind": "gambling", "severity": "serious", "found": found, "right": "", "where": "text",
         "evidence": "澳门新葡京百家乐真人视讯"}
        for found in ("澳门新葡京", "百家乐", "真人视讯")]


def test_the_settings_choose_the_dictionaries_or_turn_the_checks_off(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    base = {name: getattr(defaults, name) for name in dir(defaults) if name.startswith("GOVCRAWL_")}
    assert content_dictionaries(Settings(base)) is dictionaries_at(str(DEFAULT_DICTIONARY_DIR))
    assert content_dictionaries(Settings({**base, "GOVCRAWL_CONTENT_ENABLED": False})) is None
    missing = tmp_path / "nowhere"
    assert content_dictionaries(Settings({**base, "GOVCRAWL_CONTENT_DICTIONARY_DIR": str(missing)})) is None
    assert f"Content checks are off: dictionary directory {missing} does not exist" in caplog.text
