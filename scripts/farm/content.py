"""World a's content faults (issue 14) and their truth: wrong words, names and posts, banned and injected
terms, dark links, and attachments carrying personal data; plus decoys that must raise nothing.

An article's `content` kind picks one paragraph below; the truth lists what the content checks should
report for it, as (check, kind, form found). Attachments chosen by World.attachment_faults are served as
real PDF, DOCX and XLSX files (built here) whose text lists resident ID or mobile numbers, or only
look-alikes.
"""

from __future__ import annotations

import io
import random
from html import escape
from typing import TYPE_CHECKING, Any, Final

import docx
import openpyxl

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scripts.farm.pages import PageSpec
    from scripts.farm.world import Article, SiteModel

# kind -> (paragraph, what the checks should report: (check, issue kind, form found)).
TEXT_FAULTS: Final[dict[str, tuple[str, tuple[tuple[str, str, str], ...]]]] = {
    "typo": ("<p>对历史遗留问题不能既往不究，要依法依规妥善处理。</p>", (("D-TYPO", "typo", "既往不究"),)),
    "name": ("<p>依据《中华人民共和国信息公开条例》有关规定，现将相关信息予以公开。</p>",
             (("D-TYPO", "name", "中华人民共和国信息公开条例"),)),
    "post": ("<p>国务院总理李克强主持召开国务院常务会议，研究部署相关工作。</p>",
             (("V-SEVERE", "post", "国务院总理李克强"),)),
    "national": ("<p>热烈庆祝中华人民共合国成立，共建美好家园。</p>",
                 (("V-SEVERE", "national", "中华人民共合国"),)),
    "banned": ("<p>据悉，台湾总统选举结果已经揭晓。</p>", (("V-SEVERE", "banned", "台湾总统"),)),
    "injected": ('<p><span>澳门新葡京官方网站，百家乐在线开户</span></p>',
                 (("V-SEVERE", "gambling", "澳门新葡京"), ("V-SEVERE", "gambling", "百家乐"))),
    # decoys: correct or historical wording, a notice quoting one gambling word, a hidden menu
    "decoy": ("<p>时任国务院总理李克强曾到我市考察调研。国务院总理李强主持召开国务院常务会议。"
              "坚决反对形式主义、官僚主义。警方依法打击利用百家乐赌博的违法犯罪活动。</p>", ()),
}
DARK_ANCHORS: Final = ("体育资讯", "娱乐新闻", "在线视频")
CONTENT_KINDS: Final = (*TEXT_FAULTS, "dark")
ATTACHMENT_KINDS: Final = ("ids", "mobiles", "decoys")
GENERATED_EXTENSIONS: Final = frozenset({"pdf", "docx", "xlsx"})


def _other_hosts(model: SiteModel) -> list[str]:
    """Addresses of other farm sites the page links to (externals of the site), at most three."""
    return [url for url, _ in model.external_links][:3]


def content_links(model: SiteModel, article: Article) -> list[tuple[str, str]]:
    """The (url, anchor) links an article's content fault adds, hidden ones too: links of the page like any
    other, so the truth follows them (a link to a site that is down is a dead link)."""
    if article.content == "dark":
        return list(zip(_other_hosts(model), DARK_ANCHORS, strict=False))
    if article.content == "decoy":
        return [(url, "兄弟单位") for url in _other_hosts(model)]
    return []


def content_paragraph(model: SiteModel, article: Article) -> str:
    """The HTML an article's content fault adds to its text ("" for none)."""
    links = "".join(f'<a href="{escape(url)}">{escape(name)}</a>'
                    for url, name in content_links(model, article))
    if article.content == "dark":
        return f'<div style="position:absolute;left:-9999px;top:-9999px">{links}</div>'
    if article.content == "decoy":
        return TEXT_FAULTS["decoy"][0] + f'<div class="sub" style="display:none">{links}</div>'
    return TEXT_FAULTS[article.content][0] if article.content else ""


def content_truth(model: SiteModel, article: Article, url: str) -> list[dict[str, Any]]:
    """What the content checks should report for an article: one record per (check, kind, found)."""
    if article.content == "dark":
        hosts = _other_hosts(model)
        found = [("V-SEVERE", "dark", host) for host in hosts] if len(hosts) >= 3 else []
    else:
        found = list(TEXT_FAULTS[article.content][1]) if article.content else []
    return [{"url": url, "check": check, "kind": kind, "found": form} for check, kind, form in found]


# --- attachments ---------------------------------------------------------------------------------------


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ASCII lines in Helvetica, with a correct cross-reference table."""
    shown = " ".join(f"({line.replace('(', '[').replace(')', ']')}) '" for line in lines)
    stream = f"BT /F1 11 Tf 60 780 Td 16 TL {shown} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _docx(rows: list[list[str]]) -> bytes:
    document = docx.Document()
    document.add_paragraph("人员名单")
    table = document.add_table(rows=0, cols=len(rows[0]))
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append([int(value) if value.isdigit() and len(value) == 11 else value for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def attachment_rows(model: SiteModel, path: str, kind: str) -> tuple[list[list[str]], int, int]:
    """The rows a personal-data attachment lists: (rows, resident ID numbers, distinct mobile numbers)."""
    from scripts.farm.render import _id_number  # noqa: PLC0415  # render imports this module

    rng = random.Random(f"{model.ident.site_id}{path}/attachment")
    region = model.ident.site_id[:6]
    if kind == "ids":
        ids = [[str(n), f"P{n}", _id_number(rng, region)] for n in range(1, 4)]
        return [["No", "Name", "ID"], *ids], 3, 0
    if kind == "mobiles":
        mobiles = [f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" for _ in range(4)]
        return [["No", "Contact", "Mobile"]] + [[str(n), f"P{n}", mobile]
                                                for n, mobile in enumerate(mobiles, 1)], 0, 4
    valid = _id_number(rng, region)
    wrong = valid[:17] + ("0" if valid[17] != "0" else "1")
    return [["Item", "Value"], ["Applicant ID", f"{valid[:6]}********{valid[14:]}"], ["Project No", wrong],
            ["Hotline", f"13{rng.randrange(10**9):09d}"]], 0, 1


def attachment_file(model: SiteModel, path: str) -> tuple[str, bytes]:
    """Content type and bytes of an attachment: a generated file for one with personal data (or its
    look-alikes), else the farm's usual small stand-in."""
    from scripts.farm.render import attachment_body  # noqa: PLC0415  # render imports this module

    kind = model.attachment_personal.get(path)
    extension = path.rsplit(".", 1)[-1]
    stand_in = attachment_body(path)
    if kind is None or extension not in GENERATED_EXTENSIONS:
        return stand_in
    rows = attachment_rows(model, path, kind)[0]
    if extension == "pdf":
        return stand_in[0], _pdf(["   ".join(row) for row in rows])
    if extension == "docx":
        return stand_in[0], _docx(rows)
    return stand_in[0], _xlsx(rows)


def site_content_truth(model: SiteModel, base: str, pages: Iterable[tuple[str, PageSpec]]
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(content issues, personal-data attachments) of a site's reachable pages, for its truth record."""
    issues: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    for path, page in pages:
        if page.kind == "attachment" and path in model.attachment_personal:
            _, ids, mobiles = attachment_rows(model, path, model.attachment_personal[path])
            attachments.append({"url": base + path, "id_numbers": ids, "mobiles": mobiles})
        if page.article is not None and page.article.content and page.kind == "article":
            issues += content_truth(model, page.article, base + path)
    return issues, attachments


def defaced_home(model: SiteModel) -> str:
    """What a defaced home page shows (POST /_farm/deface/IP): an intruder's page with gambling links."""
    names = ("澳门新葡京", "百家乐", "真人视讯")
    links = "".join(f'<li><a href="{escape(url)}">{name}</a></li>'
                    for url, name in zip(_other_hosts(model), names, strict=False))
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Hacked</title></head><body>"
            "<h1>网站已被入侵</h1><p>澳门新葡京官方网站，百家乐在线开户，真人视讯注册送彩金。</p>"
            f"<ul>{links}</ul></body></html>")
