"""Tests for crawler.extract.columns: classification, staleness edges, emptiness and list-page parsing."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import columns
from crawler.extract.columns import (
    RULES_PATH,
    ColumnClass,
    ColumnOverride,
    ColumnRef,
    ListEntry,
    Listing,
    Message,
    channel_blocks,
    classify_column,
    find_columns,
    is_channel,
    is_empty_listing,
    is_stale,
    limit_for,
    load_column_rules,
    parse_column_listing,
    parse_message_listing,
    stale_cutoff,
)

DATA = Path(__file__).parent / "data" / "columns"
TODAY = datetime.date(2026, 11, 27)
D = datetime.date


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


NAME_CASES = [
    ("工作动态", ColumnClass.NEWS),
    ("区县动态", ColumnClass.NEWS),
    ("通知公告", ColumnClass.NOTICE),
    ("公示公告", ColumnClass.NOTICE),
    ("政策解读", ColumnClass.POLICY),
    ("规范性文件", ColumnClass.POLICY),
    ("人事任免", ColumnClass.PERSONNEL),
    ("招聘公告", ColumnClass.PERSONNEL),
    ("干部任前公示", ColumnClass.PERSONNEL),
    ("发展规划", ColumnClass.PLAN),
    ("机构职能", ColumnClass.BASIC),
    ("领导信箱", ColumnClass.CONSULT),
    ("政务咨询", ColumnClass.CONSULT),
    ("网上留言", ColumnClass.CONSULT),
    ("政策咨询", ColumnClass.CONSULT),
    ("意见征集", ColumnClass.SURVEY),
    ("在线访谈", ColumnClass.INTERVIEW),
    ("办事指南", ColumnClass.SERVICE),
    ("表格下载", ColumnClass.SERVICE),
    ("文件下载", ColumnClass.SERVICE),
    ("信访工作", ColumnClass.EXEMPT),
    ("纪检监察", ColumnClass.EXEMPT),
    ("举报中心", ColumnClass.EXEMPT),
    ("脱贫攻坚专题", ColumnClass.EXEMPT),
    ("历史新闻", ColumnClass.EXEMPT),
    ("财政预决算", ColumnClass.OTHER),
    ("", ColumnClass.OTHER),
]


@pytest.mark.parametrize(("name", "expected"), NAME_CASES)
def test_classify_by_name(name: str, expected: ColumnClass) -> None:
    assert classify_column(name) is expected


def test_meta_first_then_name_then_breadcrumb() -> None:
    assert classify_column("图片", column_type_meta="tzgg") is ColumnClass.NOTICE
    assert classify_column("列表", column_type_meta="政策文件") is ColumnClass.POLICY
    assert classify_column("列表", breadcrumb=["首页", "政务公开", "通知公告"]) is ColumnClass.NOTICE
    assert classify_column("其他", description="发布本单位人事任免信息") is ColumnClass.PERSONNEL


def test_exempt_wins_from_breadcrumb() -> None:
    crumb = ["首页", "专题专栏", "乡村振兴"]
    assert classify_column("工作动态", breadcrumb=crumb) is ColumnClass.EXEMPT


def test_override_by_url_wins() -> None:
    overrides = {
        "http://www.a.gov.cn/gzdt/": ColumnOverride(column_class=ColumnClass.OTHER),
        "http://www.a.gov.cn/ztzl/": ColumnOverride(exempt=True),
    }
    assert (
        classify_column("工作动态", overrides=overrides, url="http://www.a.gov.cn/gzdt/") is ColumnClass.OTHER
    )
    assert (
        classify_column("工作动态", overrides=overrides, url="http://www.a.gov.cn/ztzl/")
        is ColumnClass.EXEMPT
    )
    assert classify_column("工作动态", overrides=overrides, url="http://www.a.gov.cn/x/") is ColumnClass.NEWS


def test_type_serialises_lower_case() -> None:
    assert f"{ColumnClass.NEWS}" == "news"
    assert ColumnClass("exempt") is ColumnClass.EXEMPT


LIMITS = [
    (ColumnClass.NEWS, datetime.timedelta(days=14)),
    (ColumnClass.NOTICE, datetime.timedelta(days=183)),  # nominal; is_stale uses calendar months
    (ColumnClass.PERSONNEL, datetime.timedelta(days=365)),
    (ColumnClass.CONSULT, datetime.timedelta(days=91)),
    (ColumnClass.EXEMPT, None),
]


@pytest.mark.parametrize(("cls", "limit"), LIMITS)
def test_limit_for(cls: ColumnClass, limit: datetime.timedelta | None) -> None:
    assert limit_for(cls) == limit


STALE_CASES = [
    (D(2026, 11, 27), ColumnClass.NEWS, False),  # today
    (D(2026, 11, 14), ColumnClass.NEWS, False),  # as_of - 13 days
    (D(2026, 11, 13), ColumnClass.NEWS, True),  # as_of - 14 days: lower bound excluded
    (D(2026, 11, 28), ColumnClass.NEWS, True),  # future date is no valid update
    (None, ColumnClass.NEWS, True),  # empty / undated
    (D(2026, 5, 28), ColumnClass.NOTICE, False),
    (D(2026, 5, 27), ColumnClass.NOTICE, True),  # same day 6 calendar months earlier
    (D(2025, 11, 28), ColumnClass.PERSONNEL, False),
    (D(2025, 11, 27), ColumnClass.PERSONNEL, True),
    (D(2020, 1, 1), ColumnClass.EXEMPT, False),
    (None, ColumnClass.EXEMPT, False),
]


def test_month_cutoff_clamps_to_month_end() -> None:
    assert stale_cutoff(ColumnClass.NOTICE, D(2026, 8, 31)) == D(2026, 2, 28)
    assert stale_cutoff(ColumnClass.CONSULT, D(2026, 5, 31)) == D(2026, 2, 28)
    assert stale_cutoff(ColumnClass.EXEMPT, D(2026, 5, 31)) is None


@pytest.mark.parametrize(("latest", "cls", "stale"), STALE_CASES)
def test_is_stale_edges(latest: datetime.date | None, cls: ColumnClass, stale: bool) -> None:
    assert is_stale(latest, cls, TODAY) is stale


def test_bad_yaml_names_the_key(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8").replace("limit: 14d", "limit: fourteen", 1)
    bad = tmp_path / "columns.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(
        ValueError,
        match=r"columns\.yaml: classes\.news\.limit: Value error, 'fourteen' is not a limit like 14d",
    ):
        load_column_rules(bad)


def test_yaml_missing_class_and_syntax_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    missing.write_text(
        "priority: [news]\nclasses:\n  news: {limit: 14d, keywords: [动态]}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="classes: missing notice"):
        load_column_rules(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("priority: [news\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_column_rules(broken)


def test_custom_rules_change_classification(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8").replace("keywords: []", "keywords: [财政]", 1)
    custom = tmp_path / "columns.yaml"
    custom.write_text(text, encoding="utf-8")
    rules = load_column_rules(custom)
    assert classify_column("财政预决算", rules=rules) is ColumnClass.OTHER
    assert classify_column("财政预决算") is ColumnClass.OTHER


LISTING_CASES = [
    (
        "trs_list.html",
        "http://www.a.gov.cn/zwgk/gzdt/index.html",
        [
            ("http://www.a.gov.cn/zwgk/gzdt/202611/t20261120_1001.html", D(2026, 11, 20)),
            ("http://www.a.gov.cn/zwgk/gzdt/202611/t20261118_1000.html", D(2026, 11, 18)),
            ("http://www.a.gov.cn/zwgk/gzdt/202611/t20261117_999.html", D(2026, 11, 17)),
            ("http://www.a.gov.cn/zwgk/gzdt/202611/t20261116_998.html", D(2026, 11, 16)),
            ("http://www.a.gov.cn/zwgk/gzdt/202611/t20261115_997.html", D(2026, 11, 15)),
        ],
        ["http://www.a.gov.cn/zwgk/gzdt/index_1.html", "http://www.a.gov.cn/zwgk/gzdt/index_2.html"],
    ),
    (
        "table_list.html",
        "http://www.a.gov.cn/zcwj/index.jsp",
        [
            ("http://www.a.gov.cn/zcwj/2026/1101.html", D(2026, 11, 1)),  # 发布日期, not 成文日期
            ("http://www.a.gov.cn/zcwj/2026/0901.html", D(2026, 9, 1)),
        ],
        [
            "http://www.a.gov.cn/zcwj/index.jsp?page=1",
            "http://www.a.gov.cn/zcwj/index.jsp?page=2",
            "http://www.a.gov.cn/zcwj/index.jsp?page=3",
        ],
    ),
    (
        "monthday_list.html",
        "http://www.a.gov.cn/tzgg/",
        [
            ("http://www.a.gov.cn/tzgg/1.html", D(2026, 1, 2)),
            ("http://www.a.gov.cn/tzgg/2.html", D(2025, 12, 28)),  # most recent 12-28 not in the future
            # newest first: below last year's 12-28, 11-20 is last year's too (not last week's)
            ("http://www.a.gov.cn/tzgg/3.html", D(2025, 11, 20)),
        ],
        [],
    ),
]


@pytest.mark.parametrize(("sample", "url", "entries", "pages"), LISTING_CASES)
def test_parse_column_listing(
    sample: str, url: str, entries: list[tuple[str, datetime.date]], pages: list[str]
) -> None:
    listing = parse_column_listing(_read(sample), url, today=TODAY)
    assert [(entry.url, entry.date) for entry in listing.entries] == entries
    assert sorted(listing.next_pages) == pages
    assert listing.placeholder is False
    assert is_empty_listing(listing) is False


def test_listing_titles_prefer_full_title_attribute() -> None:
    listing = parse_column_listing(_read("trs_list.html"), "http://www.a.gov.cn/zwgk/gzdt/", today=TODAY)
    assert listing.entries[0].title == "市政府召开第45次常务会议研究部署冬季安全工作"
    # The title's own date (10月12日) must not replace the printed one.
    assert listing.entries[1] == ListEntry(
        url="http://www.a.gov.cn/zwgk/gzdt/202611/t20261118_1000.html",
        title="关于2026年10月12日停电检修情况的通报",
        date=D(2026, 11, 18),
    )


@pytest.mark.parametrize(("shown", "years"), [
    # a box on 27 November, newest first: 12-25 is last year's, so everything below it is too
    (["06-08", "02-20", "12-25", "11-08", "10-01"], [2026, 2026, 2025, 2025, 2025]),
    # ... also where no date of the year ahead shows it: 11-20 below 01-02 is last year's
    (["02-13", "01-02", "11-20", "11-10"], [2026, 2026, 2025, 2025]),
    # oldest first: the dates before the turn of the year are last year's
    (["11-08", "12-25", "02-20", "06-08"], [2025, 2025, 2026, 2026]),
    (["11-10", "11-20", "01-02", "02-13"], [2025, 2025, 2026, 2026]),
    # within this year nothing moves; a pinned item on top of a newest-first list neither
    (["11-20", "10-01", "03-05"], [2026, 2026, 2026]),
    (["09-01", "11-20", "10-01", "03-05"], [2026, 2026, 2026, 2026]),
    (["03-05", "11-20", "10-01", "08-15"], [2026, 2026, 2026, 2026]),
    # ... unless it is last year's already: nothing below it is newer
    (["12-08", "11-18", "10-31"], [2025, 2025, 2025]),
    # a list that prints its years is read as printed
    (["2026-06-08", "2026-11-08"], [2026, 2026]),
])
def test_dates_without_a_year_take_it_from_the_lists_order(shown: list[str], years: list[int]) -> None:
    rows = "".join(f'<li><a href="/art/{n}.html">关于第{n}项重点工作的通知</a><span>{day}</span></li>'
                   for n, day in enumerate(shown))
    listing = parse_column_listing(f"<html><body><ul>{rows}</ul></body></html>", "http://www.a.gov.cn/tzgg/",
                                   today=TODAY)
    assert [entry.date.year if entry.date else None for entry in listing.entries] == years
    # a year read from the order is a guess; a printed one is not
    assert {entry.year_guessed for entry in listing.entries} == {len(shown[0]) == 5}


def test_dates_without_a_year_take_it_from_a_year_heading_before_their_list() -> None:
    def group(year: str, days: list[str]) -> str:
        rows = "".join(f'<li><a href="/art/{year}{n}.html">关于{year}第{n}项重点工作的通知</a>'
                       f"<span>{day}</span></li>" for n, day in enumerate(days))
        return f'<h4 class="year">{year}</h4><ul class="list">{rows}</ul>'

    groups = group("2026年", ["3月4日", "1月8日"]) + group("2025年", ["12月19日", "11月18日"])
    page = f"<html><body>{groups}</body></html>"
    listing = parse_column_listing(page, "http://www.a.gov.cn/ghjh/", today=TODAY)
    assert [entry.date for entry in listing.entries] == [D(2026, 3, 4), D(2026, 1, 8), D(2025, 12, 19),
                                                         D(2025, 11, 18)]
    assert not any(entry.year_guessed for entry in listing.entries)


_PHPCMS_PAGER = ('<span>共3页 当前第1页</span> <b>1</b> <a href="/list-80-2.html">2</a>'
                 ' <a href="/list-80-3.html">3</a>')


@pytest.mark.parametrize(("url", "pager", "pages"), [
    # PHPCMS list-{catid}-{page}.html: the link "2" is this page's address with its page number changed
    ("http://www.a.gov.cn/list-80-1.html", _PHPCMS_PAGER,
     ["http://www.a.gov.cn/list-80-2.html", "http://www.a.gov.cn/list-80-3.html"]),
    ("http://www.a.gov.cn/news/list_5_2.aspx", '<a href="list_5_1.aspx">1</a> <b>2</b>',
     ["http://www.a.gov.cn/news/list_5_1.aspx"]),
    # a number that links another column (its first number changed), or an article, is no pager link
    ("http://www.a.gov.cn/list-80-1.html", '<a href="/list-2-1.html">2</a> <a href="/show-80-3.html">3</a>',
     []),
])
def test_numbered_pager_links_of_any_address_scheme(url: str, pager: str, pages: list[str]) -> None:
    rows = "".join(f'<li><a href="/show-80-{n}-1.html">关于第{n}项工作的通知</a><span>2026-11-{n:02d}</span>'
                   "</li>" for n in range(1, 6))
    page = f"<html><body><ul>{rows}</ul><div class='page'>{pager}</div></body></html>"
    listing = parse_column_listing(page, url, today=TODAY)
    assert len(listing.entries) == 5
    assert listing.next_pages == pages


def test_hanweb_records_are_entries() -> None:
    html = (Path(__file__).parent / "data" / "links" / "hanweb_list.html").read_text(encoding="utf-8")
    listing = parse_column_listing(html, "http://www.hw.gov.cn/col/col338977/index.html", today=TODAY)
    assert [(entry.title, entry.date) for entry in listing.entries] == [
        ("市政府召开常务会议", D(2026, 11, 20)),
        ("副市长调研重点项目", D(2026, 11, 19)),
    ]
    assert len(listing.next_pages) == 1
    assert "dataproxy.jsp" in listing.next_pages[0]


EMPTY_CASES = [
    ("placeholder.html", True, True),
    ("short_body.html", False, True),  # < 50 chars of body text, nav and footer not counted
    ("body_column.html", False, False),  # single-page body column with >= 50 chars
]


@pytest.mark.parametrize(("sample", "placeholder", "empty"), EMPTY_CASES)
def test_empty_columns(sample: str, placeholder: bool, empty: bool) -> None:
    listing = parse_column_listing(_read(sample), "http://www.a.gov.cn/c/", today=TODAY)
    assert listing.entries == []
    assert listing.placeholder is placeholder
    assert is_empty_listing(listing) is empty


def test_empty_across_pages() -> None:
    entry = ListEntry(url="http://a/1.html", title="标题标题", date=None)
    blank = Listing(entries=[], next_pages=[], placeholders=0, body_text_chars=0)
    assert (
        is_empty_listing(
            [blank, Listing(entries=[entry], next_pages=[], placeholders=0, body_text_chars=0)]
        )
        is False
    )
    assert is_empty_listing([blank, blank]) is True
    assert is_empty_listing([]) is True


def test_find_columns_from_home_page() -> None:
    columns = find_columns(_read("home.html"), "http://www.a.gov.cn/")
    assert columns == [
        ColumnRef(name="政务公开", url="http://www.a.gov.cn/zwgk/", level=1),
        ColumnRef(name="通知公告", url="http://www.a.gov.cn/zwgk/tzgg/", level=2),
        ColumnRef(name="政策文件", url="http://www.a.gov.cn/zwgk/zcwj/", level=2),
        ColumnRef(name="互动交流", url="http://www.a.gov.cn/hdjl/", level=1),
        ColumnRef(name="办事服务", url="http://www.a.gov.cn/bsfw/", level=1),
        ColumnRef(name="工作动态", url="http://www.a.gov.cn/zwgk/gzdt/", level=2),
        ColumnRef(name="人事信息", url="http://www.a.gov.cn/zwgk/rsxx/", level=2),
    ]


def test_parse_message_table() -> None:
    messages = parse_message_listing(_read("messages_table.html"), "http://www.a.gov.cn/zx/", today=TODAY)
    assert messages == [
        Message(
            "http://www.a.gov.cn/zx/101.html", "关于小区供暖问题的咨询", D(2026, 10, 1), D(2026, 10, 5), True
        ),
        Message("http://www.a.gov.cn/zx/102.html", "关于道路积水问题的反映", D(2026, 7, 10), None, False),
        Message("http://www.a.gov.cn/zx/103.html", "关于社保转移的咨询问题", D(2026, 11, 20), None, False),
    ]


def test_parse_message_labelled_rows() -> None:
    messages = parse_message_listing(_read("messages_list.html"), "http://www.a.gov.cn/xx/", today=TODAY)
    assert messages == [
        Message(
            "http://www.a.gov.cn/xx/1.html", "咨询公积金提取政策问题", D(2026, 9, 1), D(2026, 9, 3), True
        ),
        Message("http://www.a.gov.cn/xx/2.html", "建议增设公交站点线路", D(2026, 8, 15), None, False),
    ]


def test_broken_input_gives_empty_results() -> None:
    assert parse_column_listing("", "http://www.a.gov.cn/", today=TODAY).entries == []
    assert parse_column_listing(b"\xff\xfe<<<", "http://www.a.gov.cn/", today=TODAY).entries == []
    assert find_columns("<html>", "http://www.a.gov.cn/") == []
    assert parse_message_listing("", "http://www.a.gov.cn/", today=TODAY) == []


def _flat_list(count: int) -> str:
    """A 网站地图-style page: every entry directly in one container, dated after its anchor."""
    entries = "".join(
        f'<a href="/art/{i}.html">第{i}号通知标题</a> 2026-11-{i % 27 + 1:02d}<br>' for i in range(count)
    )
    return f"<html><body><div class='list'>{entries}</div></body></html>"


def test_entries_side_by_side_in_one_container_keep_their_own_dates() -> None:
    listing = parse_column_listing(_flat_list(60), "http://a.gov.cn/map.html", today=TODAY)
    dates = {entry.url.rsplit("/", 1)[-1]: entry.date for entry in listing.entries}
    assert len(dates) == 60
    assert dates["0.html"] == D(2026, 11, 1)
    assert dates["26.html"] == D(2026, 11, 27)
    assert dates["59.html"] == D(2026, 11, 6)


def test_two_links_of_one_row_still_read_the_whole_row() -> None:
    html = ("<html><body><ul>"
            + "".join(f"<li><a href='/c{i}.html'>栏目名称{i}</a> <a href='/a{i}.html'>文章标题第{i}篇</a> "
                      f"<span>2026-11-{i + 10}</span></li>" for i in range(4))
            + "</ul></body></html>")
    listing = parse_column_listing(html, "http://a.gov.cn/list.html", today=TODAY)
    assert {entry.url: entry.date for entry in listing.entries}["http://a.gov.cn/a3.html"] == D(2026, 11, 13)
    assert all(entry.date is not None for entry in listing.entries)


def test_shared_container_reading_is_linear_in_the_links() -> None:
    """Each entry reads its own segment of the container: element text is asked once per entry, so
    the characters read grow with the page, not with its square (8,000 links took 104 s before)."""
    read: list[int] = []
    segment_text = columns._segment_text

    def counting(anchor: Any) -> str:
        text = segment_text(anchor)
        read.append(len(text))
        return text

    small, large = _flat_list(500), _flat_list(4000)
    columns._segment_text = counting  # type: ignore[assignment]
    try:
        parse_column_listing(small, "http://a.gov.cn/map.html", today=TODAY)
        small_chars = sum(read)
        read.clear()
        parse_column_listing(large, "http://a.gov.cn/map.html", today=TODAY)
        large_chars = sum(read)
    finally:
        columns._segment_text = segment_text  # type: ignore[assignment]
    assert large_chars <= 8 * small_chars * 1.1


def test_a_date_box_split_into_day_and_year_month_dates_the_row() -> None:
    rows = "".join(
        f"<li><div class='datebox'><span class='day'>{day:02d}</span><span class='ym'>2026-{month:02d}</span>"
        f"</div><a href='/show-84-{day}.html'>防汛减灾备案办事指南{day}</a></li>"
        for day, month in ((20, 11), (3, 10), (17, 9), (29, 11))
    )
    listing = parse_column_listing(f"<html><body><ul>{rows}</ul></body></html>", "http://a.gov.cn/l.html",
                                   today=TODAY)
    # 2026-11-29 lies after TODAY (2026-11-27): no valid date.
    dates = [entry.date for entry in listing.entries]
    assert dates == [D(2026, 11, 20), D(2026, 10, 3), D(2026, 9, 17), None]


def _block(column: str, name: str, entries: int) -> str:
    items = "".join(f"<li><a href='/{column}/{i}.html'>{name}第{i}篇文章标题</a>"
                    f"<span>2026-11-{i + 10}</span></li>" for i in range(entries))
    return (f"<div class='lm-box'><div class='lm-title'><a href='/{column}/index.html'>{name}</a>"
            f"<a class='more' href='/{column}/index.html'>更多&gt;&gt;</a></div><ul>{items}</ul></div>")


def test_a_page_of_more_blocks_is_a_channel_and_names_its_sub_columns() -> None:
    html = (f"<html><body><div class='nav'><a href='/'>首页</a></div><div class='channel'>"
            f"{_block('bszn', '办事指南', 5)}{_block('bmfw', '便民服务', 3)}"
            "</div></body></html>")
    blocks = channel_blocks(html, "http://a.gov.cn/zwfw/index.html")
    assert [(b.column.name, b.column.url) for b in blocks] == [
        ("办事指南", "http://a.gov.cn/bszn/index.html"), ("便民服务", "http://a.gov.cn/bmfw/index.html")]
    listing = parse_column_listing(html, "http://a.gov.cn/zwfw/index.html", today=TODAY)
    assert len(listing.entries) == 8
    assert is_channel(blocks, listing)


def test_a_column_with_side_blocks_is_no_channel() -> None:
    own = "".join(f"<li><a href='/tzgg/{i}.html'>关于开展第{i}批检查的通知</a>"
                  f"<span>2026-10-{i + 1:02d}</span></li>" for i in range(20))
    html = (f"<html><body><div class='list'><ul>{own}</ul></div><div class='side'>"
            f"{_block('rdxw', '热点新闻', 3)}{_block('tpxw', '图片新闻', 3)}</div></body></html>")
    blocks = channel_blocks(html, "http://a.gov.cn/tzgg/index.html")
    assert len(blocks) == 2
    listing = parse_column_listing(html, "http://a.gov.cn/tzgg/index.html", today=TODAY)
    assert not is_channel(blocks, listing)
    empty = Listing(entries=[], next_pages=[], placeholders=1, body_text_chars=10)
    assert not is_channel(blocks[:1], empty)


def test_a_channel_whose_only_sub_column_is_empty_is_still_a_channel() -> None:
    """The box says 暂无内容: that is its sub-column's emptiness, not the page's. A column whose own list
    says 暂无信息 beside a side box (empty or not) stays an (empty) column."""
    box = ("<div class='box'><div class='box-title'><h3><a href='/Category_79/Index.aspx'>办事指南</a></h3>"
           "<span class='more'><a href='/Category_79/Index.aspx'>更多&gt;&gt;</a></span></div>"
           "<ul><li class='none'>暂无内容</li></ul></div>")
    url = "http://a.gov.cn/Category_4/Index.aspx"
    html = (f"<html><body><div class='main'><div class='position'>当前位置：<a href='/'>首页</a> &gt; "
            f"<a href='/Category_4/Index.aspx'>政务服务</a></div><div class='channel'><h2>政务服务</h2>{box}"
            "</div></div></body></html>")
    assert is_channel(channel_blocks(html, url), parse_column_listing(html, url, today=TODAY))
    for side in (box, _block("rdxw", "热点新闻", 3)):
        column = (f"<html><body><div class='list'><h2>通知公告</h2><ul><li>暂无信息</li></ul></div>"
                  f"<div class='side'>{side}</div></body></html>")
        assert not is_channel(channel_blocks(column, url), parse_column_listing(column, url, today=TODAY))


def test_a_landing_page_of_one_block_is_a_channel() -> None:
    html = f"<html><body><div class='channel'>{_block('ldxx', '咨询投诉', 6)}</div></body></html>"
    blocks = channel_blocks(html, "http://a.gov.cn/hdjl/index.html")
    assert is_channel(blocks, parse_column_listing(html, "http://a.gov.cn/hdjl/index.html", today=TODAY))


def test_a_status_word_dates_the_answer() -> None:
    html = ("<html><body><ul><li><a href='/x/1.html'>关于防汛减灾的咨询</a><span>来信时间：2026-09-05</span>"
            "<span>已回复 2026-11-22</span></li></ul></body></html>")
    [message] = parse_message_listing(html, "http://a.gov.cn/l.html", today=TODAY)
    assert (message.asked_at, message.answered_at, message.answered) == (D(2026, 9, 5), D(2026, 11, 22), True)


def test_entries_a_script_writes_into_the_page_are_entries() -> None:
    writes = "".join(
        f"document.write('<li><a href=\"./202611/t202611{day}_1.html\" title=\"关于做好第{day}项工作的通知\">"
        f"关于做好第{day}项工作的通知</a><span class=\"time\">2026/11/{day}</span></li>');\n"
        for day in (20, 12, 3)
    )
    html = f"<html><body><ul class='lb_list'><script>\n{writes}</script></ul></body></html>"
    listing = parse_column_listing(html, "http://a.gov.cn/zwgk/tzgg/index.html", today=TODAY)
    assert [(entry.url, entry.date) for entry in listing.entries] == [
        (f"http://a.gov.cn/zwgk/tzgg/202611/t202611{day}_1.html", D(2026, 11, day)) for day in (20, 12, 3)]


def test_a_menu_named_by_any_nav_token_is_the_navigation() -> None:
    html = ("<html><body><div class='mainNav'><ul><li><a href='/'>首页</a></li>"
            "<li><a href='/c/1'>新闻中心</a><ul class='sub'><li><a href='/l?ClassID=31'>图片新闻</a></li>"
            "</ul></li></ul></div></body></html>")
    found = {(ref.name, ref.level) for ref in find_columns(html, "http://a.gov.cn/")}
    assert found == {("新闻中心", 1), ("图片新闻", 2)}


def test_a_list_its_own_script_holds_as_data_is_read() -> None:
    """A 站群 platform's column: an empty <ul> that a script fills from an array of objects."""
    html = ('<html><body><div class="position">当前位置：首页 &gt; 财政资金</div><ul id="list"></ul><script>'
            'var data=[{"title":"医疗保障项目资金使用情况公示","url":"./202609/a1.shtml",'
            '"time":"[2026-09-03]"},\n'
            '{"title":"2026年部门预算公开","url":"./202601/b2.shtml","time":"[2026-01-16]","top":1}];\n'
            "var pager={size:15, url:'list.shtml'}; var html='';"
            "for(var i=0;i<data.length;i++)"
            "{html+='<li><a href=\"'+data[i].url+'\">'+data[i].title+'</a></li>';}"
            "</script></body></html>")
    url, today = "http://www.mzs.gov.cn/bm/czzj/list.shtml", datetime.date(2026, 12, 6)
    listing = parse_column_listing(html, url, today=today)
    assert [(entry.url, entry.date) for entry in listing.entries] == [
        ("http://www.mzs.gov.cn/bm/czzj/202609/a1.shtml", datetime.date(2026, 9, 3)),
        ("http://www.mzs.gov.cn/bm/czzj/202601/b2.shtml", datetime.date(2026, 1, 16))]
    # A JavaScript literal that is no JSON (unquoted keys) is left alone.
    unquoted = html.replace('"title"', "title").replace('"url"', "url")
    assert parse_column_listing(unquoted, url, today=today).entries == []
