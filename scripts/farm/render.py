"""HTML for farm pages in TRS, Hanweb (大汉) and plain CMS styles, from PageSpec values only."""

from __future__ import annotations

import random
import zlib
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from scripts.farm.content import content_paragraph
from scripts.farm.pages import RESOURCES, Link, PageSpec, trap_links

if TYPE_CHECKING:
    from scripts.farm.world import Article, Column, SiteModel

WEEKDAYS = "一二三四五六日"
CN_DIGITS = "〇一二三四五六七八九"
SOFT404_BODIES = ["页面不存在", "您访问的页面不存在或已被删除", "404 Not Found"]
GUIDE_ELEMENTS = [
    "事项名称",
    "设定依据",
    "申请条件",
    "办理材料",
    "办理地点",
    "办理机构",
    "收费标准",
    "办理时间",
    "联系电话",
    "办理流程",
]
ATTACHMENT_TYPES = {
    ".pdf": ("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    ".doc": ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
    ".wps": ("application/vnd.ms-works", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
    ".xls": ("application/vnd.ms-excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x05\x06" + bytes(18),
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x05\x06" + bytes(18)),
    ".zip": ("application/zip", b"PK\x05\x06" + bytes(18)),
    ".rar": ("application/x-rar-compressed", b"Rar!\x1a\x07\x00" + bytes(16)),
}


def cn_numeral_date(day: date) -> str:
    """二〇二六年十一月十日 style (decoy document date)."""

    def small(number: int) -> str:
        tens, ones = divmod(number, 10)
        text = ("" if tens == 1 else CN_DIGITS[tens]) + "十" if tens else ""
        return text + (CN_DIGITS[ones] if ones or not tens else "")

    return "".join(CN_DIGITS[int(d)] for d in str(day.year)) + f"年{small(day.month)}月{small(day.day)}日"


def list_date(day: date | None, fmt: str, time: str) -> str:
    """A list entry's date the way the column prints it ('' when the item shows none)."""
    if day is None:
        return ""
    return {
        "dash": f"{day:%Y-%m-%d}",
        "slash": f"{day:%Y/%m/%d}",
        "dot": f"{day:%Y.%m.%d}",
        "monthday": f"[{day:%m-%d}]",
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "paren": f"({day:%Y-%m-%d} {time})",
        "td": f"{day:%Y-%m-%d}",
        "lineend": f"{day:%Y-%m-%d}",
    }[fmt]


def _entry(article: Article, fmt: str) -> str:
    shown = list_date(article.shown_date, fmt, article.time)
    link = f'<a href="{escape(article.path)}" title="{escape(article.title)}">{escape(article.title)}</a>'
    if fmt == "td":
        return f"<tr><td>{link}</td><td>{shown}</td></tr>"
    if fmt == "lineend":
        return f"<li>{link} {shown}</li>"
    return f'<li>{link}<span class="date">{shown}</span></li>'


def _entries(articles: list[Article], fmt: str) -> str:
    rows = "".join(_entry(a, fmt) for a in articles)
    return f'<table class="list">{rows}</table>' if fmt == "td" else f'<ul class="list">{rows}</ul>'


def _head(model: SiteModel, spec: PageSpec) -> str:
    charset = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={model.declared_charset}">'
        if model.declared_charset
        else ""
    )
    metas = ""
    if model.has_meta:
        metas = (
            f'<meta name="SiteName" content="{escape(model.ident.name)}">'
            f'<meta name="SiteDomain" content="{model.host}">'
            f'<meta name="SiteIDCode" content="{model.ident.site_id}">'
        )
        if spec.kind == "column" and spec.column is not None:
            metas += (
                f'<meta name="ColumnName" content="{escape(spec.column.name)}">'
                f'<meta name="ColumnType" content="{escape(spec.column.name)}">'
            )
        if spec.kind == "article":
            metas += (
                f'<meta name="ArticleTitle" content="{escape(spec.title)}">'
                f'<meta name="ContentSource" content="{escape(model.ident.name)}">'
            )
            if spec.article is not None and spec.article.show == "meta":
                metas += (
                    f'<meta name="PubDate" content="{spec.article.published:%Y-%m-%d} {spec.article.time}">'
                )
    title = spec.title if spec.kind == "home" else f"{spec.title}_{model.ident.name}"
    return (
        f"<!DOCTYPE html><html><head>{charset}<title>{escape(title)}</title>{metas}"
        f'<link rel="stylesheet" href="{RESOURCES[0]}"><script src="{RESOURCES[1]}"></script></head>'
    )


def _top(model: SiteModel, today: date) -> str:
    nav = "".join(
        f'<li><a href="{escape(c.index_path)}">{escape(c.name)}</a></li>'
        for c in model.columns
        if c.level == 1
    )
    return (
        f'<body><div class="topbar">今天是{today.year}年{today.month}月{today.day}日 '
        f"星期{WEEKDAYS[today.weekday()]}</div>"
        f'<div class="header"><img src="{RESOURCES[2]}" alt="logo">'
        f"<h1>{escape(model.ident.name)}</h1></div>"
        f'<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div>'
    )


def _footer(model: SiteModel, today: date) -> str:
    ident, missing = model.ident, model.missing_marks
    sponsor = "" if "sponsor" in missing else f"主办单位：{escape(ident.name)}办公室 "
    marks = [
        f"政府网站标识码：{model.site_code_shown}" if model.site_code_shown else "",
        "" if "icp" in missing else f"蜀ICP备{int(ident.site_id[-6:]) + 100000}号",
        "" if "police" in missing else f"川公网安备 {ident.site_id}0001号",
    ]
    report = (f'<p><a href="/jiucuo.html?site_code={ident.site_id}">我为政府网站找错</a></p>'
              if model.error_report else "")
    return (
        f'<div class="footer"><p>{sponsor}版权所有 © 2012-{today.year}</p>'
        f"<p>{' '.join(mark for mark in marks if mark)}</p>{report}</div></body></html>"
    )


def _links(links: list[Link]) -> str:
    return "".join(f'<li><a href="{escape(link.href)}">{escape(link.text)}</a></li>' for link in links)


def render_page(model: SiteModel, spec: PageSpec, today: date) -> str:
    """The full HTML of a 200 page."""
    body = {
        "home": _home,
        "list": _list,
        "placeholder": _placeholder,
        "article": _article,
        "guide": _article,
        "messages": _messages,
        "message": _message,
        "plain": _plain,
    }[spec.layout](model, spec, today)
    return _head(model, spec) + _top(model, today) + body + _footer(model, today)


def _home(model: SiteModel, spec: PageSpec, today: date) -> str:
    news_fmt = next((c.date_format for c in model.columns if c.type == "news"), "dash")
    parts = [f'<div class="yw"><h2>要闻</h2>{_entries(spec.entries, news_fmt)}</div>']
    for column in model.columns:
        if column.level != 1 or column.type == "news" or column.empty_kind:
            continue
        rows = _entries(column.list_entries()[:5], column.date_format)
        if column.messages:
            rows = f"<ul>{_links([Link(m.path, m.title, 'page') for m in column.messages[:5]])}</ul>"
        parts.append(
            f'<div class="block"><h3>{escape(column.name)}<a class="more" href="{escape(column.index_path)}">'
            f"更多</a></h3>{rows}</div>"
        )
    dead = [Link(url, text, "page") for url, text in model.home_dead_links]
    external = [Link(url, text, "external") for url, text in model.external_links]
    parts.append(f'<div class="links"><h3>友情链接</h3><ul>{_links(external + dead)}</ul></div>')
    extra = [
        link for link in spec.links if link.href.startswith(("/internal/", "/calendar/", "/trap/", "/search"))
    ]
    if extra:
        parts.append(f'<div class="tools"><ul>{_links(extra)}</ul></div>')
    return "".join(parts)


def _subnav(column: Column) -> str:
    if not column.children:
        return ""
    children = _links([Link(c.index_path, c.name, "page") for c in column.children])
    return f'<div class="subnav"><ul>{children}</ul></div>'


def _list(model: SiteModel, spec: PageSpec, today: date) -> str:
    column = spec.column
    fmt = column.date_format if column is not None else "dash"
    head = f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; {escape(spec.title)}</div>'
    sub = _subnav(column) if column is not None else ""
    if column is not None and column.style == "hanweb":
        records = "".join(
            f"<record><![CDATA[{_entry(a, 'dash' if fmt == 'td' else fmt)}]]></record>" for a in spec.entries
        )
        return (
            f'{head}{sub}<div id="div{zlib.crc32(spec.path.encode()) % 9999}"><script type="text/xml">'
            f"<datastore><nextgroup><![CDATA[]]></nextgroup><recordset>{records}</recordset></datastore>"
            f"</script><script>var totalRecord={len(spec.entries)};</script></div>"
        )
    rows = _entries(spec.entries, fmt)
    if spec.page_count <= 1:
        pager = ""
    elif column is not None and column.style == "trs" and column.js_pagination:
        pager = (
            f'<div class="page"><script language="JavaScript">createPageHTML({spec.page_count}, '
            f'{spec.page_no}, "index", "html");</script></div>'
        )
    else:
        pager = "".join(
            f'<a href="{escape(path)}">{n + 1}</a> ' if n != spec.page_no else f"<b>{n + 1}</b> "
            for n, path in enumerate(spec.list_pages)
        )
        pager = f'<div class="page">共{spec.page_count}页 {pager}</div>'
    return f"{head}{sub}{rows}{pager}"


def _placeholder(model: SiteModel, spec: PageSpec, today: date) -> str:
    words = ["暂无信息", "暂无数据", "正在建设中"][zlib.crc32(spec.path.encode()) % 3]
    sub = _subnav(spec.column) if spec.column is not None else ""
    crumb = f'<div class="crumb">当前位置：首页 &gt; {escape(spec.title)}</div>'
    return f'{crumb}{sub}<div class="empty">{words}</div>'


PEOPLE = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞")


def _id_number(rng: random.Random, region: str) -> str:
    """A resident ID number with a valid check character (GB 11643), born 1960-1999."""
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def personal_block(model: SiteModel, article: Article) -> tuple[str, int, int]:
    """The personal data an article shows: (HTML, resident ID numbers, distinct mobile numbers)."""
    rng = random.Random(f"{model.ident.site_id}{article.path}")
    region = model.ident.site_id[:6]
    people = rng.sample(PEOPLE, 4)
    if article.personal == "ids":
        rows = "".join(f"<tr><td>{name}</td><td>{_id_number(rng, region)}</td></tr>" for name in people[:3])
        return f"<table><tr><th>姓名</th><th>身份证号码</th></tr>{rows}</table>", 3, 0
    if article.personal == "mobiles":
        rows = "".join(f"<tr><td>{name}</td><td>1{rng.choice('35789')}{rng.randrange(10**9):09d}</td></tr>"
                       for name in people)
        return f"<table><tr><th>联系人</th><th>手机</th></tr>{rows}</table>", 0, 4
    if article.personal == "decoys":
        valid = _id_number(rng, region)
        wrong = valid[:17] + ("0" if valid[17] != "0" else "1")  # the check character no longer fits
        masked = f"{valid[:6]}********{valid[14:]}"
        hotline, office = f"13{rng.randrange(10**9):09d}", f"028-8{rng.randrange(10**7):07d}"
        return (f"<p>申请人：{people[0]}（身份证号：{masked}）项目编号：{wrong} 服务热线：{hotline} "
                f"办公电话：{office}</p>"), 0, 1
    return "", 0, 0


def guide_labels(model: SiteModel, path: str) -> list[str]:
    """The elements a service guide shows: it leaves out the first 0-4 of the ten (V-SERVICE)."""
    return GUIDE_ELEMENTS[4 if model.poor_guides else zlib.crc32(path.encode()) % 5:]


def _article(model: SiteModel, spec: PageSpec, today: date) -> str:
    article = spec.article
    assert article is not None
    column = article.column
    day, time = article.published, article.time
    shown = {
        "label_dash": f"发布日期：{day:%Y-%m-%d}",
        "label_cn": f"发布时间：{day.year}年{day.month}月{day.day}日 {time}",
        "riqi": f"日期：{day:%Y-%m-%d}",
        "shijian_slash": f"时间：{day:%Y/%m/%d}",
    }.get(article.show, "")
    if article.show == "meta" and not model.has_meta:
        shown = f"发布日期：{day:%Y-%m-%d}"
    views = 100 + zlib.crc32(article.path.encode()) % 9000
    info = (
        f'<div class="info"><span>{shown}</span> <span>来源：{escape(model.ident.name)}</span> '
        f"<span>浏览次数：{views}</span></div>"
    )
    written = ""
    if column.type in ("policy", "notice"):
        written = f'<p class="wh">成文日期：{cn_numeral_date(day - timedelta(days=3))}</p>'
    text = (
        f"<p>为深入贯彻落实有关工作部署，{escape(model.ident.name)}结合实际，扎实推进{escape(article.title)}相关工作。</p>"
        * 3
    )
    if spec.layout == "guide":
        text += "".join(f"<p><b>{name}：</b>详见相关规定。</p>" for name in guide_labels(model, article.path))
    text += personal_block(model, article)[0] + content_paragraph(model, article)
    files = "".join(
        f'<li><a href="{escape(path)}">{escape(name)}</a></li>' for path, name, _ in article.attachments
    )
    files = f'<div class="fj">附件：<ul>{files}</ul></div>' if files else ""
    related = "".join(
        f'<li><a href="{escape(a.path)}">{escape(a.title)}</a><span>{a.published:%Y-%m-%d}</span></li>'
        for a in spec.entries
    )
    dead = _links([Link(url, text, "page") for url, text in article.dead_links])
    image = f'<img src="{escape(article.dead_image)}" alt="">' if article.dead_image else ""
    return (
        f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="{escape(column.index_path)}">'
        f'{escape(column.name)}</a></div><h1 class="title">{escape(article.title)}</h1>{info}{written}'
        f'<div class="content">{image}{text}</div>{files}<div class="xglj"><ul>{dead}</ul></div>'
        f'<div class="related"><h3>相关文章</h3><ul>{related}</ul></div>'
        f'<div class="print">打印日期：{today:%Y-%m-%d} '
        f'<a href="javascript:window.print()">打印本页</a></div>'
    )


def _messages(model: SiteModel, spec: PageSpec, today: date) -> str:
    rows = []
    for n, message in enumerate(spec.messages):
        status = "已回复" if message.answered else ("未回复" if n % 2 else "待回复")
        answered = f"{message.answered:%Y-%m-%d}" if message.answered else ""
        rows.append(
            f'<tr><td><a href="{escape(message.path)}">{escape(message.title)}</a></td>'
            f"<td>{message.asked:%Y-%m-%d}</td><td>{status}</td><td>{answered}</td></tr>"
        )
    return (
        f'<div class="crumb">当前位置：首页 &gt; {escape(spec.title)}</div><table class="xx">'
        f"<tr><th>标题</th><th>留言时间</th><th>状态</th><th>答复时间</th></tr>{''.join(rows)}</table>"
    )


def _message(model: SiteModel, spec: PageSpec, today: date) -> str:
    message = spec.message
    assert message is not None
    reply = (
        f"<p>答复时间：{message.answered:%Y-%m-%d}</p><p>答复内容：您好，来信收悉，现答复如下……</p>"
        if message.answered
        else "<p>办理状态：未回复</p>"
    )
    back = f'<a href="{escape(message.column.index_path)}">{escape(message.column.name)}</a>'
    return (
        f'<div class="crumb">当前位置：首页 &gt; {back}</div><h1>{escape(message.title)}</h1>'
        f"<p>留言时间：{message.asked:%Y-%m-%d}</p><p>留言内容：请问相关政策如何办理？</p>{reply}"
    )


def _plain(model: SiteModel, spec: PageSpec, today: date) -> str:
    return f"<h1>{escape(spec.title)}</h1><p>欢迎您对本网站提出意见和建议。</p>"


def render_soft404(path: str) -> str:
    """A 200 'not found' page."""
    words = SOFT404_BODIES[zlib.crc32(path.encode()) % len(SOFT404_BODIES)]
    return f"<html><head><title>{words}</title></head><body><h1>{words}</h1><p>请返回首页。</p></body></html>"


def render_trap(path: str) -> str:
    """A trap page: a real-looking page whose links each lead one step deeper, forever."""
    anchors = "".join(f'<a href="{escape(href)}">下一页</a> ' for href in trap_links(path))
    return (
        "<html><head><title>活动日历</title></head><body><h1>活动日历</h1>"
        "<p>本栏目提供各类政务活动的日程安排，请选择日期或页码查看相关活动安排、会议通知和办事提示。</p>"
        f"<div class=\"pager\">{anchors}</div></body></html>"
    )


def robots_txt(model: SiteModel) -> str:
    """robots.txt: Disallow the internal area where the site has one."""
    return f"User-agent: *\nDisallow: {model.robots_disallow or ''}\n"


def attachment_body(path: str) -> tuple[str, bytes]:
    """Content type and small bytes for an attachment path."""
    ext = "." + path.rsplit(".", 1)[-1]
    return ATTACHMENT_TYPES.get(ext, ("application/octet-stream", b"\x00" * 16))
