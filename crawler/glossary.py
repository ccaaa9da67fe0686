"""The one Chinese glossary of everything staff read: check names, verdicts, severities, levels, classes.

Scoring (finding texts), the reports, the worklists, the Grafana dashboards, the Kibana objects and the
generated alert rules all take their words from here, so a check is called the same everywhere.
The ids and codes (V-HOME, FAIL, news, ...) stay the machine keys; these are only what is shown.

Usage: `check_name("V-HOME")` -> "首页信息不更新", `check_label("V-HOME")` -> "V-HOME 首页信息不更新",
`word(VERDICTS, "REVIEW")` -> "待人工确认" (an unknown code comes back as itself, never a KeyError).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping


def _frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(mapping)


# Check id -> its short Chinese name (the 2019 government website criteria's own words where it has them).
CHECK_NAMES: Final[Mapping[str, str]] = _frozen({
    # 单项否决 (vetoes)
    "V-AVAIL": "网站不能访问",
    "V-HOME": "首页信息不更新",
    "V-CORE": "动态要闻、通知公告、政策文件栏目不更新",
    "V-STALE": "应更新栏目长期未更新",
    "V-EMPTY": "空白栏目过多",
    "V-CHANNEL": "无咨询留言渠道",
    "V-REPLY": "咨询留言长期未答复",
    "V-SERVICE": "办事服务不实用",
    "V-SEVERE": "严重错误",
    # 扣分 (deductions)
    "D-LINK-HOME": "首页错链",
    "D-LINK-OTHER": "其他页面错链",
    "D-ATTACH": "办事表格无法下载",
    "D-NEWS": "动态要闻栏目未更新",
    "D-NOTICE": "通知公告、政策文件栏目未更新",
    "D-PERS": "人事、规划计划栏目未更新",
    "D-EMPTY": "空白栏目",
    "D-REPLY-LIST": "留言答复未公开",
    "D-SVC-STATS": "办件统计未更新",
    "D-ONLINE": "在线办理",
    "D-TYPO": "错别字",
    "D-SEARCH": "站内搜索",
    "D-IPV6": "IPv6 支持",
    "D-ID": "网站标识不规范",
    "D-ERRLINK": "缺少“我为政府网站找错”入口",
    # 提醒 (labels, no points)
    "I-ZOMBIE": "疑似僵尸网站",
    "I-SOFT404": "软错误页面",
    "I-PRIVACY": "疑似泄露个人信息",
    "I-CRAWL": "页面未完整检查",
})

# Finding severity (scoring.Severity).
SEVERITIES: Final[Mapping[str, str]] = _frozen({"veto": "单项否决", "deduction": "扣分", "info": "提醒"})

# Finding confidence (scoring.Confidence): a suspected finding waits for a person to confirm it.
CONFIDENCES: Final[Mapping[str, str]] = _frozen({"confirmed": "已确认", "suspected": "疑似"})

# Site verdict (scoring.Verdict).
VERDICTS: Final[Mapping[str, str]] = _frozen({
    "PASS": "合格", "FAIL": "不合格", "REVIEW": "待人工确认", "NO_DATA": "无数据",
})

# Registry level (registry.Level).
SITE_LEVELS: Final[Mapping[str, str]] = _frozen({
    "province": "省级", "city": "市级", "county": "县级", "department": "部门",
})

# Column class (crawler/extract/columns.yaml).
COLUMN_CLASSES: Final[Mapping[str, str]] = _frozen({
    "news": "动态要闻", "notice": "通知公告", "policy": "政策文件", "personnel": "人事信息",
    "plan": "规划计划", "basic": "基本信息", "consult": "咨询留言", "survey": "调查征集",
    "interview": "在线访谈", "service": "办事服务", "exempt": "免检栏目", "other": "其他栏目",
})

# Column state (metrics: govcrawl_site_columns{state}).
COLUMN_STATES: Final[Mapping[str, str]] = _frozen({
    "fresh": "正常更新", "stale": "未按时更新", "empty": "空白",
})

# Case status along the correction loop (issue 17: open -> notified -> fixed / false alarm -> reopened).
CASE_STATUSES: Final[Mapping[str, str]] = _frozen({
    "open": "待整改", "notified": "已通知", "fixed": "已整改", "false_alarm": "误报", "reopened": "重新出现",
})

# What a reviewer writes on a worklist row (an overturned finding's case becomes false_alarm, 误报).
REVIEW_DECISIONS: Final[Mapping[str, str]] = _frozen({"confirm": "确认", "overturn": "推翻"})

# Alert severity (Prometheus/Grafana rule label `severity`).
ALERT_SEVERITIES: Final[Mapping[str, str]] = _frozen({"critical": "严重", "warning": "预警"})

# Where a broken link was found (metrics: govcrawl_site_broken_links{where}).
LINK_PLACES: Final[Mapping[str, str]] = _frozen({"home": "首页", "other": "其他页面"})

# Why a home-page probe failed (ProbeItem.error kinds), in staff words.
PROBE_FAILURES: Final[Mapping[str, str]] = _frozen({
    "dns": "首页域名无法解析",
    "tcp": "首页无法连接",
    "refused": "首页拒绝连接",
    "tls": "首页 TLS 握手失败",
    "timeout": "首页访问超时",
    "blocked": "首页地址解析到内网或保留地址：已拒绝访问",
    "blocked_redirect": "首页跳转到内网或保留地址：已拒绝访问",
    "too_large": "首页超过下载大小上限：未读取",
    "decompression_limit": "首页解压后超过下载大小上限：未读取",
    "redirect_loop": "首页重定向循环",
    "too_many_redirects": "首页重定向次数过多",
    "invalid_url": "首页网址无效（如端口超出范围）：无法请求",
})

YES: Final = "是"
NO: Final = "否"
NOT_CHECKABLE: Final = "无法检查"
STALE_DATA_NOTE: Final = "数据来自上次成功抓取"


def word(glossary: Mapping[str, str], code: str) -> str:
    """The Chinese word for `code` in one of the tables above; an unknown code is shown as itself."""
    return glossary.get(code, code)


def check_name(check: str) -> str:
    """The Chinese name of a check id (V-HOME -> 首页信息不更新); an unknown id is returned as is."""
    return CHECK_NAMES.get(check, check)


def check_label(check: str) -> str:
    """The id and its Chinese name, as lists and alerts show a check: "V-HOME 首页信息不更新"."""
    name = CHECK_NAMES.get(check)
    return f"{check} {name}" if name else check


def probe_failure(error: str | None, status: int | None) -> str:
    """Why a home-page probe failed, in staff words: its error kind, or the HTTP status it got."""
    if error == "http" or error is None:
        return f"首页返回 HTTP {status}" if status else "首页返回错误页面"
    return PROBE_FAILURES.get(error, f"首页无法访问（{error}）")


def yes_no(value: bool | None) -> str:
    """是 / 否, or an empty string when not known."""
    if value is None:
        return ""
    return YES if value else NO
