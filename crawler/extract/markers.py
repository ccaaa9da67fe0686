"""The one vocabulary for telling page regions and menu entries apart by their markup.

Chinese government CMSes mark their containers with English words and pinyin initials in `id` and
`class` (nav, menu, daohang, dh, lm = 栏目, zlm = 子栏目, ejlm = 二级栏目, dqwz = 当前位置, yqlj = 友情链接,
banquan = 版权, fenye = 分页). Three readers use them, each with the groups it needs:

- links.is_nav_element: site chrome whose links are navigation, not content (NAVIGATION_MARKERS);
- columns: home-page menus whose entries are columns (HOME_MENU_MARKERS);
- page_analysis: a column page's own sub-column menu (SUB_MENU_MARKERS) and containers that are never
  one (NOT_MENU_MARKERS).

Entry names that are never a column (首页, 登录, page numbers …) are NOT_COLUMN_NAMES. To teach the
crawler a new CMS's words, add them to a group here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.html import HtmlElement

# Token groups (regular-expression alternatives over one id/class token).
MENU: Final = (r"\w*nav\w*", r"\w*menu\w*")
NAVIGATION_WORDS: Final = ("daohang", "dh")  # 导航
PAGE_CHROME: Final = ("header", "head", "top", "footer", "foot", "bottom")
WHERE_YOU_ARE: Final = ("position", "location", "weizhi", "dqwz")  # breadcrumbs: 当前位置
FRIEND_LINKS: Final = ("links?", "yqlj")  # 友情链接
COLUMN_WORDS: Final = ("lm", "column")  # 栏目
SIDE_MENU: Final = (r"sub\w*", r"left\w*", r"lm\w*", r"column\w*", "zlm", "ejlm", r"side\w*")  # 子栏目
NEVER_A_MENU: Final = (
    r"\w*foot\w*", "bottom", r"\w*crumbs?", r"bread\w*", *WHERE_YOU_ARE, *FRIEND_LINKS, r"friend\w*",
    "copyright", "banquan", "share", "tools?", "page", "pager", "pages", "fenye",
)


def token_pattern(*groups: Iterable[str]) -> re.Pattern[str]:
    """A case-insensitive pattern matching any of the groups' tokens as a whole id/class token."""
    words = "|".join(word for group in groups for word in group)
    return re.compile(rf"(?:^|[\s_-])(?:{words})(?:$|[\s_-])", re.IGNORECASE)


NAVIGATION_MARKERS: Final = token_pattern(MENU, NAVIGATION_WORDS, PAGE_CHROME, ("crumbs?", "breadcrumb"),
                                          WHERE_YOU_ARE, FRIEND_LINKS)
HOME_MENU_MARKERS: Final = token_pattern(MENU, NAVIGATION_WORDS, COLUMN_WORDS)
SUB_MENU_MARKERS: Final = token_pattern(MENU, SIDE_MENU)
NOT_MENU_MARKERS: Final = token_pattern(NEVER_A_MENU)

# Menu entries that are never a column: the home link, language and accessibility switches, logins.
NOT_COLUMN_WORDS: Final = ("网站首页", "首页", "主页", "english", "无障碍", "繁体", "简体", "登录", "注册",
                           "长者模式", "关怀版", "返回顶部")
PAGER_WORDS: Final = ("上一页", "下一页", "尾页", "末页", r"\d+")
NOT_COLUMN_NAMES: Final = re.compile(rf"^(?:{'|'.join(NOT_COLUMN_WORDS)})$", re.IGNORECASE)
NOT_COLUMN_OR_PAGER_NAMES: Final = re.compile(rf"^(?:{'|'.join((*NOT_COLUMN_WORDS, *PAGER_WORDS))})$",
                                              re.IGNORECASE)


def marker(element: HtmlElement) -> str:
    """An element's id and class, the text the marker patterns read."""
    return f"{element.get('id', '')} {element.get('class', '')}"
