"""crawler.extract.dates: samples of every format and decoy, broken input, real pages, properties."""

from __future__ import annotations

import datetime
import json
import pathlib
import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.dates import (
    PublishDate,
    decode_page,
    extract_publish_date,
    find_listing_date,
    parse_date_text,
    url_date,
)

TODAY = datetime.date(2026, 11, 27)
SAMPLES_DIR = pathlib.Path(__file__).parent / "data" / "dates"
REAL_PAGES_DIR = pathlib.Path(__file__).parent / "data" / "real-pages"


def _sample(name: str) -> bytes:
    return (SAMPLES_DIR / name).read_bytes()


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# --- samples -------------------------------------------------------------------------------------

SAMPLE_CASES = [
    # file, expected date (None: the page shows no publish date), expected source
    ("trs_article.html", "2026-11-20", "label"),
    ("fullwidth_split_spans.html", "2026-11-19", "label"),
    ("generic_label_slash.html", "2026-11-18", "label"),
    ("dot_time_label.html", "2026-11-16", "label"),
    ("chengwen_digits.html", "2026-11-12", "label"),
    ("decoys_only.html", None, None),
    ("future_meta.html", "2026-11-20", "label"),
    ("too_old.html", None, None),
    ("byline_text.html", "2026-11-18", "text"),
    ("no_date.html", None, None),
    ("meta_and_label.html", "2026-05-01", "meta"),
    ("short_year_label.html", "2026-03-08", "label"),
    ("related_only_after_heading.html", None, None),
    ("gbk_declared.html", "2026-11-21", "label"),
    ("gbk_undeclared.html", "2026-11-21", "label"),
    ("banner_after_title.html", None, None),
    ("weekday_banner_no_heading.html", None, None),
]


@pytest.mark.parametrize(("name", "expected", "source"), SAMPLE_CASES)
def test_sample_pages(name: str, expected: str | None, source: str | None) -> None:
    found = extract_publish_date(_sample(name), None, today=TODAY)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.date, found.source) == (_date(expected), source)
        assert 0.0 < found.confidence <= 1.0


def test_samples_cover_every_file() -> None:
    assert {case[0] for case in SAMPLE_CASES} == {path.name for path in SAMPLES_DIR.iterdir()}


META_CASES = [
    ('<meta name="PubDate" content="2026-05-01 09:30">', "2026-05-01"),
    ('<meta name="pubdate" content="2026-05-01 09:30:15">', "2026-05-01"),
    ("<META NAME='PublishDate' CONTENT='2026/05/01'>", "2026-05-01"),
    ('<meta name="firstpublishedtime" content="2026-05-01-09:30:00">', "2026-05-01"),
    ('<meta property="article:published_time" content="2026-05-01T09:30:00+08:00">', "2026-05-01"),
    # 20:00 UTC on 30 April is 04:00 on 1 May in Shanghai.
    ('<meta property="article:published_time" content="2026-04-30T20:00:00Z">', "2026-05-01"),
    ('<meta property="og:release_date" content="2026-05-01">', "2026-05-01"),
    ('<meta name="DC.Date" content="2026年5月1日">', "2026-05-01"),
    ('<meta name="og:time " content="2026年05月01日 18:05">', "2026-05-01"),
]


@pytest.mark.parametrize(("meta", "expected"), META_CASES)
def test_meta_names_and_formats(meta: str, expected: str) -> None:
    page = f"<html><head><title>t</title>{meta}</head><body><p>正文</p></body></html>"
    found = extract_publish_date(page, None, today=TODAY)
    assert found == PublishDate(_date(expected), "meta", 0.85)


def test_meta_that_is_not_a_publish_date_is_ignored() -> None:
    page = (
        '<html><head><meta name="Maketime" content="2026-11-25 12:00">'
        '<meta itemprop="dateUpdate" content="2026-11-26"></head><body></body></html>'
    )
    assert extract_publish_date(page, None, today=TODAY) is None


def test_agreeing_sources_raise_confidence_and_disagreeing_lower_it() -> None:
    agreeing = extract_publish_date(_sample("meta_and_label.html"), None, today=TODAY)
    alone = extract_publish_date(
        '<html><head><meta name="PubDate" content="2026-05-01"></head><body></body></html>', today=TODAY
    )
    disagreeing = extract_publish_date(
        '<html><head><meta name="PubDate" content="2026-05-01"></head>'
        "<body><p>发布日期：2026-05-03</p></body></html>",
        today=TODAY,
    )
    assert agreeing is not None and alone is not None and disagreeing is not None
    assert agreeing.confidence > alone.confidence > disagreeing.confidence
    assert disagreeing.date == _date("2026-05-01")


URL_CASES = [
    ("http://www.sc.gov.cn/10462/c102914/2026/11/20/abc.shtml", "2026-11-20"),
    ("http://www.cd.gov.cn/gkml/202611/t20261120_123.html", "2026-11-20"),
    ("http://www.zj.gov.cn/art/2026/11/20/art_1229_2.html", "2026-11-20"),
    ("http://www.news.cn/politics/2026-11/20/c_1125.htm", "2026-11-20"),
    ("http://www.gov.cn/zhengce/content_20261120.htm", "2026-11-20"),
    ("http://example.gov.cn/20261120/index.html", "2026-11-20"),
    ("http://www.zj.gov.cn/art/2026/9/3/art_1229_2.html", "2026-09-03"),
    ("http://example.gov.cn/2026/13/40/a.html", None),
    ("http://example.gov.cn/col/col123/index.html?uid=20261199", None),
    ("http://example.gov.cn/t20271120_1.html", None),
    ("http://example.gov.cn/zcjd/2026/1104.htm", None),  # item 1104 in the 2026 folder
    ("http://example.gov.cn/a/ghjh/2026/1104/1218.html", "2026-11-04"),
]


@pytest.mark.parametrize(("url", "expected"), URL_CASES)
def test_url_dates(url: str, expected: str | None) -> None:
    assert url_date(url, today=TODAY) == (_date(expected) if expected else None)


def test_url_date_is_used_when_the_page_shows_none() -> None:
    url = "http://www.cd.gov.cn/gkml/202611/t20261120_123.html"
    found = extract_publish_date(_sample("no_date.html"), url, today=TODAY)
    assert found == PublishDate(_date("2026-11-20"), "url", 0.6)


def test_listing_date_is_used_after_url_and_agreement_counts() -> None:
    listing = _date("2026-11-19")
    found = extract_publish_date(_sample("no_date.html"), "http://x.gov.cn/a.html", today=TODAY,
                                 listing_date=listing)
    assert found == PublishDate(listing, "listing", 0.55)
    with_url = extract_publish_date(
        _sample("no_date.html"), "http://x.gov.cn/t20261119_1.html", today=TODAY, listing_date=listing
    )
    assert with_url is not None and with_url.source == "url" and with_url.confidence > 0.6
    future = extract_publish_date(_sample("no_date.html"), None, today=TODAY,
                                  listing_date=_date("2026-12-01"))
    assert future is None


def test_label_beats_url_and_listing() -> None:
    found = extract_publish_date(
        _sample("trs_article.html"), "http://x.gov.cn/t20261118_1.html", today=TODAY,
        listing_date=_date("2026-11-20"),
    )
    assert found is not None and found.date == _date("2026-11-20") and found.source == "label"


def test_shared_tree_gives_the_same_answer() -> None:
    body = _sample("trs_article.html")
    tree = lxml.html.fromstring(body)
    assert extract_publish_date(body, None, today=TODAY, tree=tree) == extract_publish_date(
        body, None, today=TODAY
    )


def test_today_defaults_to_the_current_date() -> None:
    found = extract_publish_date("<html><body><p>发布日期：2019-09-07</p></body></html>")
    assert found is not None and found.date == _date("2019-09-07")


# --- broken input --------------------------------------------------------------------------------

BROKEN_INPUTS: list[tuple[str, str | bytes]] = [
    ("empty str", ""),
    ("empty bytes", b""),
    ("binary garbage", bytes(range(256)) * 40),
    ("nul bytes", b"\x00" * 1000),
    ("only tags", "<<<>>><html><head></head><body><h1></h1></body>"),
    ("unclosed script", "<html><body><h1>题目很长的文章</h1><script>var d='2026-11-20';"),
    ("unclosed comment", "<html><body><!-- 发布日期：2026-11-20"),
    ("utf-16 page", "\ufeff<html><body><p>发布日期：2026-11-20</p></body></html>".encode("utf-16")),
]


@pytest.mark.parametrize(("what", "body"), BROKEN_INPUTS, ids=[case[0] for case in BROKEN_INPUTS])
def test_broken_input_never_raises(what: str, body: str | bytes) -> None:
    found = extract_publish_date(body, "not a url", today=TODAY)
    assert found is None or found.date == _date("2026-11-20"), what


def test_fragment_without_head_is_read_as_body() -> None:
    found = extract_publish_date("<p>发布日期：2026-11-20</p>", None, today=TODAY)
    assert found == PublishDate(_date("2026-11-20"), "label", 0.8)


def test_truncated_page_still_finds_the_label() -> None:
    body = _sample("trs_article.html")
    cut = body.index("发布日期".encode()) + len("发布日期：2026-11-20 09".encode())
    found = extract_publish_date(body[:cut], None, today=TODAY)
    assert found is not None and found.date == _date("2026-11-20")
    inside_character = body.index("发布日期".encode()) + 1
    assert extract_publish_date(body[:inside_character], None, today=TODAY) is None


def test_utf8_page_declaring_gb2312_is_read_as_utf8() -> None:
    body = _sample("trs_article.html").replace(b'charset="utf-8"', b'charset="gb2312"')
    found = extract_publish_date(body, None, today=TODAY)
    assert found is not None and found.date == _date("2026-11-20") and found.source == "label"


def test_gbk_page_declaring_utf8_does_not_raise() -> None:
    body = _sample("gbk_declared.html").replace(b"charset=gb2312", b"charset=utf-8")
    found = extract_publish_date(body, None, today=TODAY)
    assert found is None or found.date == _date("2026-11-21")


def test_decode_page_keeps_rare_gbk_characters() -> None:
    assert "镕、堃" in decode_page(_sample("gbk_declared.html"))
    assert "镕、堃" in decode_page(_sample("gbk_undeclared.html"))


# --- real pages ----------------------------------------------------------------------------------


def _real_page_labels() -> list[dict[str, str]]:
    labels_path = REAL_PAGES_DIR / "labels.json"
    if not labels_path.exists():
        return [{"file": "MISSING", "publish_date": "", "evidence": str(labels_path)}]
    pages: list[dict[str, str]] = json.loads(labels_path.read_text(encoding="utf-8"))["pages"]
    return pages


@pytest.mark.parametrize("label", _real_page_labels(), ids=lambda label: label["file"])
def test_real_pages(label: dict[str, str]) -> None:
    where = label["evidence"]
    assert label["file"] != "MISSING", f"no real pages at {where}: tests/data/real-pages is missing"
    body = (REAL_PAGES_DIR / label["file"]).read_bytes()
    found = extract_publish_date(body, None, today=TODAY)
    assert found is not None, label["evidence"]
    assert found.date.isoformat() == label["publish_date"], (found, label["evidence"])


def test_real_pages_without_meta_tags_fall_back_to_the_visible_date() -> None:
    misses = []
    for label in _real_page_labels():
        text = decode_page((REAL_PAGES_DIR / label["file"]).read_bytes())
        without_meta = re.sub("<meta", "<x-meta", text, flags=re.IGNORECASE)
        found = extract_publish_date(without_meta, None, today=TODAY)
        if found is None or found.date.isoformat() != label["publish_date"] or found.source == "meta":
            misses.append((label["file"], found))
    assert misses == []


# --- unseen pages: dev and holdout --------------------------------------------------------------

UNSEEN_PAGES_DIR = pathlib.Path(__file__).parent / "data" / "unseen-pages"
# Goal on pages the extractor was not developed on (docs/dates.md has the measured figures).
GOAL_EXACT, GOAL_PRECISION = 0.93, 0.98
# What each holdout measured when the dev-driven changes of 2026-12-06 landed (right/pages,
# right/answered): floors against regressions. docs/dates.md has the figures before and after.
# Batch 3 (8 pages, labelled blind on 2026-12-06; 1 government page) was scored as it arrived, with no
# change made for it: dev3 misses one page (an abstention on "五月 22nd, 2011"), holdout3 answers none of
# its three dated pages (abstentions, no wrong date).
# Batch 4 (20 pages, labelled blind on 2026-12-06; no government page, 8 list pages labelled null) was
# scored as it arrived (dev4 7/10, precision 5/7; holdout4 10/10, 5/5), then dev4's failures were looked
# at: a Discuz! board list's 最后发表 (last posted) is no publish label, and a list's dates are counted
# apart in visible characters, not in the template's indentation. After that change holdout2 gave one
# wrong date less (20/23, 18/18) and holdout4 one right date less (9/10, 5/5).
HOLDOUT_FLOORS = {"holdout": (31 / 36, 28 / 28), "holdout2": (20 / 23, 18 / 18), "holdout3": (1 / 4, 1.0),
                  "holdout4": (9 / 10, 5 / 5), "dev3": (3 / 4, 3 / 3), "dev4": (9 / 10, 5 / 5)}
SPLIT_SIZES = {"dev": 37, "holdout": 36, "dev2": 24, "holdout2": 23, "dev3": 4, "holdout3": 4, "dev4": 10,
               "holdout4": 10}


def _unseen_pages(*splits: str) -> list[dict[str, str | None]]:
    labels = json.loads((UNSEEN_PAGES_DIR / "labels.json").read_text(encoding="utf-8"))
    pages: list[dict[str, str | None]] = [page for page in labels["pages"] if page["split"] in splits]
    return pages


def _score(*splits: str) -> tuple[float, float, list[str]]:
    """Exact-day rate over all pages of the splits (an abstention is right where the page shows no
    date), precision over the dates returned, and the pages missed."""
    right = answered = answered_right = 0
    missed: list[str] = []
    pages = _unseen_pages(*splits)
    for page in pages:
        found = extract_publish_date((UNSEEN_PAGES_DIR / str(page["file"])).read_bytes(), None, today=TODAY)
        got = found.date.isoformat() if found is not None else None
        if got == page["publish_date"]:
            right += 1
        else:
            missed.append(f"{page['file']}: {got} != {page['publish_date']}")
        if got is not None:
            answered += 1
            answered_right += got == page["publish_date"]
    # No date answered: no wrong one either.
    return right / len(pages), answered_right / answered if answered else 1.0, missed


def test_unseen_pages_are_split_into_dev_and_holdout() -> None:
    sizes = {split: len(_unseen_pages(split)) for split in SPLIT_SIZES}
    assert sizes == SPLIT_SIZES
    on_disk = {path.relative_to(UNSEEN_PAGES_DIR).as_posix() for path in UNSEEN_PAGES_DIR.glob("*/*.html")}
    labelled = [str(page["file"]) for page in _unseen_pages(*SPLIT_SIZES)]
    assert sorted(labelled) == sorted(on_disk)
    # Each file sits in the folder of its split: a page never moves between dev and holdout.
    assert all(
        str(page["file"]).split("/")[0] == page["split"] for page in _unseen_pages(*SPLIT_SIZES)
    )


@pytest.mark.parametrize("split", ["dev", "dev2"])
def test_unseen_dev_pages(split: str) -> None:
    exact, precision, missed = _score(split)
    assert exact >= GOAL_EXACT and precision >= GOAL_PRECISION, missed


@pytest.mark.parametrize("split", sorted(HOLDOUT_FLOORS))
def test_unseen_holdout_pages_do_not_regress(split: str) -> None:
    # Only the figures: the holdout's failures are not looked at.
    exact_floor, precision_floor = HOLDOUT_FLOORS[split]
    exact, precision, _missed = _score(split)
    assert exact >= exact_floor - 1e-9, f"{split} exact {exact:.3f}"
    assert precision >= precision_floor - 1e-9, f"{split} precision {precision:.3f}"


@pytest.mark.xfail(
    strict=True,
    reason="holdout + holdout2 + holdout3 + holdout4 exact 61/73 = 0.836, precision 51/51: below the goal",
)
def test_unseen_holdout_pages_reach_the_goal() -> None:
    exact, precision, _missed = _score("holdout", "holdout2", "holdout3", "holdout4")
    assert exact >= GOAL_EXACT, f"exact {exact:.3f}"
    assert precision >= GOAL_PRECISION, f"precision {precision:.3f}"


# --- header text, bylines and lists ---------------------------------------------------------------

_FILLER = "<p>" + "正文内容。" * 20 + "</p>"
_NOTICE = "华融基金管理有限公司关于旗下基金参加销售机构费率优惠活动的公告"


@pytest.mark.parametrize(
    ("body", "expected", "source"),
    [
        # A date-time alone under the headline, and a date followed by a read count.
        ("<h1>题目很长的文章</h1><div>2022-02-13 20:04:17</div>" + _FILLER, "2022-02-13", "text"),
        ("<h1>题目很长的文章</h1><div>2004-12-10&nbsp;&nbsp;阅读10544次</div>" + _FILLER, "2004-12-10",
         "text"),
        # Dates inside the article's sentences are what it is about, not when it was published.
        ("<h1>雄安新区设立</h1><p>雄安新区于2017年4月1日正式成立。2014年2月26日，会议召开。</p>", None, None),
        # No date of its own, then a list of other articles with theirs.
        (
            "<h1>题目很长的文章</h1>" + _FILLER
            + "<ul><li>其他文章一 2024-05-24</li><li>其他文章二 2024-05-24</li>"
            + "<li>其他文章三 2024-05-23</li></ul>",
            None,
            None,
        ),
        # A feed's relative time: the page prints no date; the one below belongs to something else.
        ("<h1>题目很长的文章</h1><span>昨天</span>" + _FILLER + "<div>2024-05-01 网友评论</div>", None, None),
        # A byline is no list item, and dates in the article's sentences make no list.
        (
            "<h1>题目很长的文章</h1><div>2024-05-13 12:03 来源：东方网</div>"
            "<p>展期 2024-05-17 至 2024-05-19</p>",
            "2024-05-13",
            "text",
        ),
        (
            "<h1>题目很长的文章</h1><div>2024-05-13 12:03</div>"
            "<p>2024年5月19日是旅游日，2024年5月17日起半价。</p>",
            "2024-05-13",
            "text",
        ),
        # A list of announcements under the heading, each row deeply indented by its template: a list all
        # the same (the indentation is no distance between its dates).
        (
            "<h1>题目很长的文章</h1><ul>" + "".join(
                f"<li>\n{' ' * 120}<h2><a href='/{n}.pdf'>{_NOTICE}{n}</a>"
                f"</h2>\n{' ' * 28}<i>2020-04-{30 - n}</i>\n{' ' * 120}</li>" for n in range(4)) + "</ul>",
            None,
            None,
        ),
        # A forum's board list: when each board was last posted to is no publish date.
        (
            "<h1>题目很长的文章</h1><dl><dt>染织坊</dt><dd>主题: 55, 帖数: 1079</dd>"
            "<dd><a href='#lastpost'>最后发表: 2020-5-9 09:41</a></dd></dl>",
            None,
            None,
        ),
    ],
    ids=[
        "datetime-under-headline", "read-count", "prose", "list-of-others", "relative-time",
        "byline-before-dates", "dates-in-sentences-make-no-list", "indented-list", "last-posted",
    ],
)
def test_header_text_dates(body: str, expected: str | None, source: str | None) -> None:
    page = f"<html><head><title>题目很长的文章_雄安新区设立_网站</title></head><body>{body}</body></html>"
    found = extract_publish_date(page, None, today=TODAY)
    if expected is None:
        assert found is None
    else:
        assert found is not None and (found.date, found.source) == (_date(expected), source)


@pytest.mark.parametrize(
    "byline",
    ["来源：新华社 2023-12-01 14:43", "2004-12-10  阅读10544次", "2024-05-20 06:48 作者：张三"],
    ids=["source-before", "read-count-after", "author-after"],
)
def test_byline_date_without_a_heading(byline: str) -> None:
    # The <title> names an article the body never prints: there is no heading to start from.
    page = f"<html><head><title>别的标题</title></head><body><div>{byline}</div>{_FILLER}</body></html>"
    found = extract_publish_date(page, None, today=TODAY)
    assert found is not None and found.date == parse_date_text(byline, today=TODAY)


def test_plain_date_without_a_heading_is_not_taken() -> None:
    page = f"<html><head><title>别的标题</title></head><body><div>2024-05-20 06:48</div>{_FILLER}</body>"
    assert extract_publish_date(page, None, today=TODAY) is None


def test_title_saved_after_body_still_finds_the_heading() -> None:
    page = (
        "<html><head></head><body><title>文章标题很长一些_网站</title>"
        f"<div>文章标题很长一些</div><div>2024-05-11 09:36</div>{_FILLER}</body></html>"
    )
    found = extract_publish_date(page, None, today=TODAY)
    assert found is not None and (found.date, found.source) == (_date("2024-05-11"), "text")


def test_month_day_label_takes_its_year_from_a_meta_date_on_that_day() -> None:
    body = "<body><h1>题目很长的文章</h1><span>发布时间：10-08</span><span>12:00</span>正文</body>"
    with_meta = f'<html><head><meta itemprop="dateUpdate" content="2019-10-08 12:00:57"></head>{body}</html>'
    found = extract_publish_date(with_meta, None, today=TODAY)
    assert found is not None and (found.date, found.source) == (_date("2019-10-08"), "label")
    other_day = with_meta.replace("2019-10-08", "2019-10-09")
    assert extract_publish_date(other_day, None, today=TODAY) is None
    assert extract_publish_date(f"<html><head></head>{body}</html>", None, today=TODAY) is None


def test_publish_label_far_below_the_heading_is_another_articles() -> None:
    page = (
        "<html><head><title>题目很长的文章</title></head><body><h1>题目很长的文章</h1>"
        f"<p>{'正文内容。' * 700}</p><p>发布时间：2020-01-01</p></body></html>"
    )
    assert extract_publish_date(page, None, today=TODAY) is None
    without_heading = page.replace("<h1>题目很长的文章</h1>", "").replace("题目很长的文章", "别的标题")
    found = extract_publish_date(without_heading, None, today=TODAY)
    assert found is not None and found.date == _date("2020-01-01")


# --- headings, other articles' dates, traditional characters, badges, relative times -------------


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


HEADING_CASES = [
    # The title's article segment printed under the header, the whole title only in a share text below.
    (
        "segment-before-whole-title",
        _page("有英勇的你才有英雄的城-新华网", "<h2>有英勇的你才有英雄的城</h2><div>2020-02-19 20:29:58</div>"
              + _FILLER + "<div>有英勇的你才有英雄的城-新华网</div>"),
        "2020-02-19",
    ),
    # The title is only the site's name, printed in the footer: the h1 is the article's heading.
    (
        "site-name-title-and-h1",
        _page("南生论坛", "<h1>运营系统的设计理念</h1><div>马亮 2023-02-28 17:31:30 阅读 5605</div>"
              + _FILLER + "<div>南生论坛 版权所有</div>"),
        "2023-02-28",
    ),
    # The site's name opens other articles' titles in a list: those are not the heading.
    (
        "title-inside-a-longer-phrase",
        _page("某某水产研究所", "<h5>某某水产研究所召开职工大会</h5>" + _FILLER
              + "<li>某某水产研究所在衢州开展推广 2020年01月18日</li>"),
        None,
    ),
    # The title printed again in the related list after a dated header names another letter.
    (
        "title-again-in-the-related-list",
        _page("关于食品安全的咨询", "<div>关于食品安全的咨询</div><div>来信时间:2026-09-30</div>"
              "<p>来信内容。</p><div>相关文章</div><ul><li>关于食品安全的咨询 2026-10-15</li>"
              "<li>关于交通的建议 2026-10-03</li></ul>"),
        None,
    ),
    # A ticker printing the title, then 下一篇, then the real heading: the ticker has no dates.
    (
        "title-in-a-ticker-before-the-heading",
        _page("法国全国大罢工影响交通-新华网", "<div>法国全国大罢工影响交通 其他新闻一 其他新闻二</div>"
              "<a>下一篇</a><div>法国全国大罢工影响交通</div><div>2019-12-10 07:57:40 来源: 新华网</div>"
              + _FILLER),
        "2019-12-10",
    ),
    # A short article: the dated related list after its marker does not make the byline a list.
    (
        "short-article-then-related-list",
        _page("某市召开推进会_某市人民政府", "<h1>某市召开推进会</h1><div>2026-11-22 13:43:47</div>"
              "<p>会议召开。</p><div>相关文章</div><ul><li>甲 2026-11-25</li><li>乙 2026-11-25</li>"
              "<li>丙 2026-11-19</li></ul>"),
        "2026-11-22",
    ),
    # A multi-part title names the article: an h1 holding something else (a logo, a ticker) is no
    # heading, and the date after it is a banner.
    (
        "logo-h1-is-not-a-heading",
        _page("文章标题很长一些_四川省人民政府",
              "<h1>四川省人民政府</h1><div>2024年5月1日 星期三</div>" + _FILLER),
        None,
    ),
]


@pytest.mark.parametrize(("page", "expected"), [case[1:] for case in HEADING_CASES],
                         ids=[case[0] for case in HEADING_CASES])
def test_where_the_heading_is(page: str, expected: str | None) -> None:
    found = extract_publish_date(page, None, today=TODAY)
    assert (found.date if found else None) == (_date(expected) if expected else None)


LABEL_CASES = [
    # "最新推荐文章于 …发布" dates another article; the byline below is this one's.
    (
        "other-article-before-byline",
        "<h1>题目很长的文章</h1><div>最新推荐文章于 2023-09-04 17:53:10 发布</div>"
        "<div>张三 于 2023-03-12 13:08:03 发布 阅读量340</div>",
        "2023-03-12",
        "text",
    ),
    ("related-list-label", "<h1>题目很长的文章</h1>" + _FILLER + "<div>相关文章 2024-2-23</div>", None, None),
    # Traditional characters (Taiwan, Hong Kong): the same labels and bylines.
    (
        "traditional-publish-label",
        "<h1>题目很长的文章</h1><div>發佈時間：2018-02-28 14:31</div>",
        "2018-02-28",
        "label",
    ),
    ("traditional-update-label", "<h1>题目很长的文章</h1><div>最後更新：2018-03-01</div>", None, None),
    (
        "traditional-related-list",
        "<h1>题目很长的文章</h1>" + _FILLER + "<div>相關新聞</div><ul><li>其他文章 2018-02-27</li></ul>",
        None,
        None,
    ),
    # Minguo calendar: 中華民國107年 is 2018; 投標日期 is the date of something else.
    (
        "minguo-issue-date",
        "<div>發文日期：中華民國107年3月13日</div><div>投標日期：中華民國107年4月12日</div>",
        "2018-03-13",
        "label",
    ),
    ("minguo-other-date-only", "<div>投標日期：中華民國107年4月12日</div>", None, None),
]


@pytest.mark.parametrize(("body", "expected", "source"), [case[1:] for case in LABEL_CASES],
                         ids=[case[0] for case in LABEL_CASES])
def test_labels_of_other_articles_and_traditional_characters(
    body: str, expected: str | None, source: str | None
) -> None:
    found = extract_publish_date(_page("题目很长的文章_网站", body), None, today=TODAY)
    if expected is None:
        assert found is None
    else:
        assert found is not None and (found.date, found.source) == (_date(expected), source)


@pytest.mark.parametrize(
    "byline",
    ["2018-02-28 14:31 來源：中央社", "2020-06-09 09:37 發佈於 論壇", "2004-12-10  閱讀10544次"],
    ids=["source-after", "published-at-after", "read-count-after"],
)
def test_traditional_byline_without_a_heading(byline: str) -> None:
    found = extract_publish_date(_page("别的标题", f"<div>{byline}</div>{_FILLER}"), None, today=TODAY)
    assert found is not None and found.date == parse_date_text(byline, today=TODAY)


BADGE_CASES = [
    ("day-first", "<h5>题目很长的文章</h5><div class='day'>21</div><div class='year'>2024年02月</div>",
     "2024-02-21"),
    ("month-first", "<h3>题目很长的文章</h3><span>2024-02</span> <span>21</span>", "2024-02-21"),
    # Every entry of a list has its badge: nothing is taken from a list.
    ("two-badges-are-a-list", "<h3>甲文章</h3><b>21</b><i>2024-02</i><h3>乙文章</h3><b>18</b><i>2024-02</i>",
     None),
    ("text-between-heading-and-badge", "<h5>题目很长的文章</h5><p>正文内容</p><b>21</b><i>2024年02月</i>",
     None),
    ("a-time-is-no-day", "<h5>题目很长的文章</h5><span>2024-02</span> <span>21:30</span>", None),
    ("no-such-day", "<h5>题目很长的文章</h5><b>31</b><i>2024-02</i>", None),
]


@pytest.mark.parametrize(("body", "expected"), [case[1:] for case in BADGE_CASES],
                         ids=[case[0] for case in BADGE_CASES])
def test_date_badge_under_a_heading(body: str, expected: str | None) -> None:
    # The <title> is the site's name, as on the pages that print such badges.
    found = extract_publish_date(_page("某某研究所", body + _FILLER), None, today=TODAY)
    if expected is None:
        assert found is None
    else:
        assert found is not None and (found.date, found.source) == (_date(expected), "text")


def test_a_badge_counts_only_where_the_page_prints_no_other_date() -> None:
    body = "<h5>题目很长的文章</h5><b>21</b><i>2024-02</i><p>发布日期：2024-02-22</p>"
    found = extract_publish_date(_page("题目很长的文章", body), None, today=TODAY)
    assert found is not None and (found.date, found.source) == (_date("2024-02-22"), "label")


@pytest.mark.parametrize("relative", ["1 月前", "3 週前", "2 小時前", "剛剛", "5 个月前"])
def test_relative_time_in_the_header_means_no_date(relative: str) -> None:
    body = f"<h1>题目很长的文章</h1><span>{relative}</span>{_FILLER}<div>2024-05-01 12:00</div>"
    assert extract_publish_date(_page("题目很长的文章_网站", body), None, today=TODAY) is None


@pytest.mark.parametrize("section", ["网友评论", "全部評論", "评论列表"])
def test_comment_dates_are_the_readers(section: str) -> None:
    body = f"<h1>题目很长的文章</h1>{_FILLER}<div>{section}</div><div>张三 2024-05-01 12:00</div>"
    assert extract_publish_date(_page("题目很长的文章_网站", body), None, today=TODAY) is None


# --- parse_date_text -----------------------------------------------------------------------------

PARSE_CASES = [
    ("2026-11-20", "2026-11-20"),
    ("2026/11/20 10:30", "2026-11-20"),
    ("2026.11.20", "2026-11-20"),
    ("2026年11月20日 星期五", "2026-11-20"),
    ("2026年1月2日", "2026-01-02"),
    ("２０２６年１１月２０日　１０：３０", "2026-11-20"),
    ("发布时间：2026-11-20 10:30:15", "2026-11-20"),
    ("二〇二六年十一月二十日", "2026-11-20"),
    ("二〇二五年十二月三十一日", "2025-12-31"),
    ("[11-20]", "2026-11-20"),
    ("11-28", "2025-11-28"),
    ("11月20日", "2026-11-20"),
    ("02-29", "2024-02-29"),
    ("26-03-08", "2026-03-08"),
    ("中華民國107年3月13日", "2018-03-13"),
    ("民国115年11月27日", "2026-11-27"),
    ("民國115年11月28日", None),
    ("98-03-08", "1998-03-08"),
    ("2026-11-27T23:30:00+08:00", "2026-11-27"),
    ("2026-11-26T20:00:00Z", "2026-11-27"),
    ("2026-11-28", None),
    ("1989-12-31", None),
    ("2026-02-30", None),
    ("浏览次数：2026", None),
    ("版权所有 © 2012-2026", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_date_text(text: str, expected: str | None) -> None:
    assert parse_date_text(text, today=TODAY) == (_date(expected) if expected else None)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("关于2026年11月10日停电的通知 2026-11-20", "2026-11-20"),
        ("全市经济运行情况 [11-20]", "2026-11-20"),
        ("暂无信息", None),
    ],
)
def test_find_listing_date(entry: str, expected: str | None) -> None:
    assert find_listing_date(entry, today=TODAY) == (_date(expected) if expected else None)


_DAYS = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2030, 12, 31))
_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M", "%Y年%m月%d日 %H:%M:%S"]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789-/.年月日: TZ+０１２３[]二〇十一", max_size=40), today=_DAYS)
def test_parse_date_text_never_returns_a_future_or_ancient_date(text: str, today: datetime.date) -> None:
    found = parse_date_text(text, today=today)
    assert found is None or datetime.date(1990, 1, 1) <= found <= today


@settings(max_examples=300, deadline=None)
@given(day=_DAYS, today=_DAYS, pattern=st.sampled_from(_FORMATS), unpadded=st.booleans())
def test_parse_date_text_round_trips(
    day: datetime.date, today: datetime.date, pattern: str, unpadded: bool
) -> None:
    text = datetime.datetime.combine(day, datetime.time(9, 30, 15)).strftime(pattern)
    if unpadded:
        text = text.replace(f"-{day.month:02d}-", f"-{day.month}-")
        text = text.replace(f"年{day.month:02d}月", f"年{day.month}月")
    assert parse_date_text(text, today=today) == (day if day <= today else None)


@settings(max_examples=200, deadline=None)
@given(days_ago=st.integers(min_value=0, max_value=364), today=_DAYS)
def test_month_day_gets_the_most_recent_year(days_ago: int, today: datetime.date) -> None:
    day = today - datetime.timedelta(days=days_ago)
    if day.year < 1990:
        return
    assert parse_date_text(f"[{day.month:02d}-{day.day:02d}]", today=today) == day


_HTML_ALPHABET = "<>/=\"' hmetadbodyscript-:：0123456789年月日发布时间成文今天是星期五\n"


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(st.text(alphabet=_HTML_ALPHABET, max_size=300), st.binary(max_size=300)))
def test_extract_never_raises_nor_returns_a_future_date(body: str | bytes) -> None:
    found = extract_publish_date(body, "http://x.gov.cn/t20261120_1.html", today=TODAY)
    assert found is None or datetime.date(1990, 1, 1) <= found.date <= TODAY
