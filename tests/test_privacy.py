"""Personal data on pages (crawler/extract/privacy.py): valid resident ID and mobile numbers, masked."""

from __future__ import annotations

from datetime import date

import pytest

from crawler.extract.privacy import is_id_number, may_hold_personal_data, personal_data

TODAY = date(2026, 11, 28)
STANDARD_EXAMPLE = "11010519491231002X"  # the worked example of GB 11643-1999


def with_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@pytest.mark.parametrize(("text", "valid"), [
    (STANDARD_EXAMPLE, True),
    (STANDARD_EXAMPLE.lower(), True),
    ("110105194912310021", False),                       # wrong check character
    (with_check("51010419801301123"), False),            # month 13
    (with_check("51010419800230123"), False),            # 30 February
    (with_check("51010418991231123"), False),            # before 1900
    (with_check("51010420270101123"), False),            # born after the page's day
    (with_check("51010420000229123"), True),             # 29 February of a leap year
    ("51010419800101123", False),                        # 17 characters
])
def test_id_numbers(text: str, valid: bool) -> None:
    assert is_id_number(text, today=TODAY) is valid


def test_a_published_list_of_people() -> None:
    second = with_check("51130319920715002")
    text = (f"公示名单：张三 {STANDARD_EXAMPLE} 13812345678；李四 {second} 15987654321；"
            f"王五 {second} 13812345678")
    found = personal_data(text, today=TODAY)
    assert found.id_numbers == ("110105********002X", "511303********" + second[-4:])
    assert found.mobiles == ("138****5678", "159****4321")


@pytest.mark.parametrize("text", [
    "身份证号：510104********1234",                           # masked
    "文号：川府发〔2026〕12号 项目编号 5101041980010112345678",  # inside a longer run
    f"订单号 A{STANDARD_EXAMPLE}",                            # glued to a letter
    "咨询电话：028-12345678，138-1234-5678",                  # landline, grouped mobile
    "统计数据：123456789012 个",                               # 12 digits
    "手机：12345678901",                                      # no mobile prefix
])
def test_things_that_are_not_personal_data(text: str) -> None:
    assert personal_data(text, today=TODAY) == personal_data("", today=TODAY)


def test_the_cheap_precheck() -> None:
    assert may_hold_personal_data(f"<td>{STANDARD_EXAMPLE}</td>")
    assert may_hold_personal_data("<td>13812345678</td>")
    assert not may_hold_personal_data("<p>发布日期：2026-11-27 电话：028-1234567</p>")
    # The 14-digit public-security filing number every footer carries is no candidate.
    assert not may_hold_personal_data("<p>川公网安备 51010402000123号 蜀ICP备05001234号</p>")
