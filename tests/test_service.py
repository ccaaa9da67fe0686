"""Service-guide elements (crawler/extract/service.py): labels that head something count, mentions do not."""

from __future__ import annotations

import pytest

from crawler.extract.links import parse_html
from crawler.extract.service import GUIDE_ELEMENTS, guide_elements


def elements(body: str) -> list[str]:
    return guide_elements(parse_html(f"<html><body>{body}</body></html>"))


def test_a_full_guide_in_paragraphs() -> None:
    body = "".join(f"<p><b>{label}：</b>详见相关规定。</p>" for label in GUIDE_ELEMENTS)
    assert elements(body) == list(GUIDE_ELEMENTS)


def test_a_guide_in_a_table_and_a_definition_list() -> None:
    body = ("<table><tr><th>事项名称</th><td>户口迁移</td></tr><tr><td>办理地点：</td><td>政务中心</td></tr>"
            "<tr><td> 收费标准 </td><td>不收费</td></tr></table>"
            "<dl><dt>【办理流程】</dt><dd>受理、审核、办结</dd></dl><div>办理时间:工作日</div>")
    assert elements(body) == ["事项名称", "办理地点", "收费标准", "办理时间", "办理流程"]


@pytest.mark.parametrize("body", [
    "<p>请于办理时间内携带办理材料到办理地点办理。</p>",           # running text
    "<p>办理时间内不受理电话咨询</p>",                              # the label begins a sentence
    '<div class="footer"><p>联系电话：028-12345678</p></div>',      # site-wide footer
    '<ul class="nav"><li><span>办理流程：</span></li></ul>',        # navigation
    '<p><a href="/lc.html">办理流程</a></p>',                       # a link to another page
    "<script>var label = '事项名称：';</script>",
])
def test_mentions_are_not_elements(body: str) -> None:
    assert elements(body) == []


def test_a_page_that_names_no_element_skips_the_search() -> None:
    markup = "<html><body><p><b>事项名称：</b>户口迁移</p></body></html>"
    assert guide_elements(parse_html(markup), markup) == ["事项名称"]
    assert guide_elements(parse_html(markup), "<html><body>另一页</body></html>") == []


def test_the_page_title_is_no_label() -> None:
    tree = parse_html("<html><head><title>办理流程</title></head><body><p>内容</p></body></html>")
    assert guide_elements(tree) == []


def test_an_ordinary_article_has_none() -> None:
    body = "<h1>我市召开工作会议</h1><p>会议强调，要扎实推进各项工作。联系电话见官网。</p>"
    assert elements(body) == []
