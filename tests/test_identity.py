"""Identity marks and the error-report entry of home pages (crawler/extract/identity.py), real and made."""

from __future__ import annotations

import pytest

from crawler.extract.encoding import decode_html
from crawler.extract.identity import IdentityMarks, domain_problems, identity_marks, site_code_problems
from crawler.extract.links import parse_html
from tests.test_dates import REAL_PAGES_DIR

FOOTER = ('<div class="footer"><p>主办单位：某某市人民政府办公室 版权所有</p>'
          '<p>政府网站标识码：5101000001 蜀ICP备05001234号-1 川公网安备 51010402000123号</p></div>')


def marks_of(html: str) -> IdentityMarks:
    return identity_marks(parse_html(f"<html><body>{html}</body></html>"))


def real(name: str) -> IdentityMarks:
    return identity_marks(parse_html(decode_html((REAL_PAGES_DIR / name).read_bytes(), None).text))


def test_a_real_provincial_portal_shows_every_mark_and_the_jiucuo_script() -> None:
    # 山西省人民政府: 主办：…, 晋ICP备, 晋公网安备, 网站标识码：1400000045,
    # <script id="_jiucuo_" src=…/exposure/jiucuo.js>
    marks = real("shanxi-1.html")
    assert marks.site_code == "1400000045"
    assert marks.missing() == []
    assert marks.error_report


def test_a_real_department_site_names_its_owner_only_as_copyright_holder() -> None:
    # 浙江省发展和改革委员会: "… 版权所有", 浙ICP备, 网站标识码：3300000020, 浙公网安备; the error-report
    # link is hidden by CSS (display:none), which still counts.
    marks = real("gzggw-1.html")
    assert marks.site_code == "3300000020"
    assert marks.missing() == ["sponsor"]
    assert marks.error_report


@pytest.mark.parametrize("name", ["163-8.html", "csdn-1.html", "sina-1.html"])
def test_real_commercial_pages_have_no_site_code_or_error_report(name: str) -> None:
    marks = real(name)
    assert marks.site_code is None
    assert not marks.error_report
    assert "site_code" in marks.missing()


def test_163_base64_blob_is_no_icp_number() -> None:
    # 163-8.html carries "…rLICPX1…" inside an inline script; only visible text counts.
    page = REAL_PAGES_DIR / "163-8.html"
    assert b"ICP" in page.read_bytes()
    assert "icp" in real("163-8.html").missing()


def test_a_complete_footer() -> None:
    marks = marks_of(FOOTER + '<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=5101000001">'
                              '<img src="/images/jiucuo.png"></a>')
    assert marks.missing() == []
    assert marks.site_code == "5101000001"
    assert marks.error_report


@pytest.mark.parametrize(("html", "missing"), [
    (FOOTER.replace("主办单位：某某市人民政府办公室 ", ""), ["sponsor"]),
    (FOOTER.replace("蜀ICP备05001234号-1 ", ""), ["icp"]),
    (FOOTER.replace("川公网安备 51010402000123号", ""), ["police"]),
    (FOOTER.replace("政府网站标识码：5101000001 ", ""), ["site_code"]),
    (FOOTER.replace("5101000001", "51010001"), ["site_code"]),  # not a valid code
    ("<p>联合知乎网主办的论坛</p>", ["site_code", "icp", "police", "sponsor"]),  # no 主办： label
    (f"<script>var footer = '{FOOTER}';</script>", ["site_code", "icp", "police", "sponsor"]),
    (f"<!-- {FOOTER} -->", ["site_code", "icp", "police", "sponsor"]),
])
def test_missing_marks(html: str, missing: list[str]) -> None:
    assert marks_of(html).missing() == missing


@pytest.mark.parametrize(("html", "found"), [
    ('<script id="_jiucuo_" sitecode="5101000001" src="https://zfwzgl.www.gov.cn/exposure/jiucuo.js"></script>',
     True),
    ('<a href="/jiucuo.html?site_code=5101000001">我为政府网站找错</a>', True),
    ('<a href="https://example.org/report"><img alt="我为政府网站找错" src="/r.png"></a>', True),
    ('<a href="/feedback.html">网站纠错</a>', False),
    ("<p>我为政府网站找错</p>", False),  # text alone leads nowhere
    ('<a href="/jc.html" style="display:none">我为政府网站找错</a>', True),
])
def test_error_report_entry(html: str, found: bool) -> None:
    assert marks_of(html).error_report is found


def test_site_code_must_be_the_registered_one() -> None:
    assert site_code_problems("5101000001", "5101000001") == []
    assert site_code_problems(None, "5101000001") == []  # absent: a missing mark, not a wrong one
    wrong = site_code_problems("5101010001", "5101000001")
    assert wrong == ["标识码 5101010001 shown, 5101000001 registered"]
    assert site_code_problems("bm01000001", "BM01000001") == []
    assert site_code_problems("5101000001", "demo-site") == []  # a registry id that is no 标识码


@pytest.mark.parametrize(("host", "problems"), [
    ("www.sc.gov.cn", []),
    ("WWW.CHENGDU.GOV.CN.", []),
    ("www.chengdu.com.cn", ["host www.chengdu.com.cn is not under .gov.cn"]),
    ("gov.cn.example.com", ["host gov.cn.example.com is not under .gov.cn"]),
    ("127.0.1.2", []),
    ("[::1]", []),
])
def test_domain_rule(host: str, problems: list[str]) -> None:
    assert domain_problems(host) == problems
