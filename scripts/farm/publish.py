"""Items a site publishes while the farm runs (POST /_farm/publish/IP): an honest one dated today and a
backdated one, dated 30 days back, in the site's first news column; the backdating guard of the crawler
(issue 14 item 4) must find the second one only, on the crawl after the one that saw the column without it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from scripts.farm.world import SHOW_MODES, Article, Column

if TYPE_CHECKING:
    from scripts.farm.world import SiteModel

BACKDATED_DAYS = 30


@dataclass(frozen=True, slots=True)
class Published:
    """One item published at run time, as the control answer reports it (the truth of the check)."""

    path: str
    title: str
    published: date
    backdated: bool

    def record(self, host: str) -> dict[str, Any]:
        return {"url": f"http://{host}{self.path}", "title": self.title,
                "published": self.published.isoformat(), "backdated": self.backdated}


_LABELLED = frozenset(SHOW_MODES) - {"none", "url_only", "meta"}  # the page prints its date by a label


def _news_column(model: SiteModel) -> Column | None:
    """The site's first level-1 news column that lists dated items of its own."""
    for column in model.columns:
        dated = any(article.show in _LABELLED for article in column.articles)
        plain = not column.empty_kind and not column.js_pagination
        if column.type == "news" and column.level == 1 and plain and dated:
            return column
    return None


def items_for(model: SiteModel, today: date) -> list[Published]:
    """What POST /_farm/publish/IP adds to a site: nothing for a site without a news column."""
    column = _news_column(model)
    if column is None:
        return []
    base = column.index_path.rsplit("/", 1)[0]
    forged = today - timedelta(days=BACKDATED_DAYS)
    return [
        Published(f"{base}/published/t{today:%Y%m%d}_1.html", "我县召开冬季森林防火工作部署会", today,
                  backdated=False),
        Published(f"{base}/published/t{forged:%Y%m%d}_2.html", "我县开展安全生产专项整治三年行动总结", forged,
                  backdated=True),
    ]


def with_published(model: SiteModel, items: list[Published]) -> SiteModel:
    """A copy of the site's model whose news column shows the published items (the cached model is kept)."""
    if not items:
        return model
    changed = copy.deepcopy(model)
    column = _news_column(changed)
    assert column is not None
    show = next(article.show for article in column.articles if article.show in _LABELLED)
    for item in items:
        column.articles.append(Article(item.path, item.title, item.published, "10:00", show, column))
    return changed
