"""Elasticsearch mappings built from the item dataclasses, and the index templates that install them."""

from __future__ import annotations

import copy
import dataclasses
import logging
import sys
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, get_args, get_origin

from elasticsearch import ApiError

from crawler import items
from crawler.cases import CaseItem
from crawler.items import ITEM_INDEX
from crawler.naming import INDEX_KINDS, IndexKind, index_name
from crawler.reports import QuarterlyReportItem

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch, Elasticsearch

logger = logging.getLogger(__name__)

Body = dict[str, Any]

DATE_FORMAT: Final = "strict_date_optional_time||yyyy-MM-dd"
# The local server has only the built-in analyzers; production uses the IK plugin (deploy/elasticsearch).
LOCAL_TEXT_ANALYZER: Final = "standard"
PRODUCTION_INDEX_ANALYZER: Final = "ik_max_word"
PRODUCTION_SEARCH_ANALYZER: Final = "ik_smart"
# Lucene refuses a term over 32,766 bytes, which would reject the whole document: 8,191 four-byte
# characters fit, longer values stay in _source but are not searchable.
KEYWORD_MAX_CHARS: Final = 8191
TEXT_KEYWORD_MAX_CHARS: Final = 1024
TEMPLATE_PRIORITY: Final = 200
LOCAL_SETTINGS: Final[Body] = {"index": {"number_of_shards": 1, "number_of_replicas": 0}}
# How soon a write is searchable, as in production (deploy/elasticsearch/templates): the crawl indices are
# written in bulk and read by reports and the exporter, so a 30 s lag costs nothing and saves most of
# Elasticsearch's CPU; staff reread findings and reviews soon after writing them. The indexing pipeline
# refreshes what it wrote when a crawl ends, so reports after `once=1` see everything.
REFRESH_INTERVALS: Final[dict[IndexKind, str]] = {
    "sites": "5s", "pages": "30s", "links": "30s", "probes": "30s", "reviews": "1s", "columns": "30s",
    "messages": "30s", "findings": "5s", "cases": "1s", "quarterly": "1s",
}

# Free text staff search by word; each keeps a `.keyword` sub-field for exact filters and sorting.
TEXT_FIELDS: Final[frozenset[str]] = frozenset(
    {"name", "title", "detail", "anchor_text", "notes", "department", "evidence"}
)

# The crawl's items (crawler.items), then the documents commands write: the case ledger and the
# quarterly reports as issued.
_ITEM_CLASS: Final[dict[str, type]] = {**{kind: cls for cls, kind in ITEM_INDEX.items()},
                                       "cases": CaseItem, "quarterly": QuarterlyReportItem}
_ANALYZER_KEYS: Final = frozenset({"analyzer", "search_analyzer", "search_quote_analyzer"})


class SchemaError(Exception):
    """The code's schema and what Elasticsearch holds disagree in a way only an operator can resolve."""


def _keyword(max_chars: int = KEYWORD_MAX_CHARS) -> Body:
    return {"type": "keyword", "ignore_above": max_chars}


def _text() -> Body:
    return {"type": "text", "analyzer": LOCAL_TEXT_ANALYZER,
            "fields": {"keyword": _keyword(TEXT_KEYWORD_MAX_CHARS)}}


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return annotation


def field_mapping(name: str, annotation: Any) -> Body:
    """The mapping of one dataclass field, from its name (text fields) and its annotation."""
    kind = _without_none(annotation)
    origin = get_origin(kind)
    if origin is list:
        return field_mapping(name, get_args(kind)[0])  # every Elasticsearch field holds arrays
    if origin is dict:
        return {"type": "flattened"}  # any keys, one mapping: page meta tags cannot explode the mapping
    if origin is Literal:
        if all(isinstance(value, str) for value in get_args(kind)):
            return {"type": "keyword"}
    elif kind is bool:
        return {"type": "boolean"}
    elif kind is int:
        return {"type": "long"}
    elif kind is float:
        return {"type": "double"}
    elif kind in (date, datetime):
        return {"type": "date", "format": DATE_FORMAT}
    elif kind is str:
        return _text() if name in TEXT_FIELDS else _keyword()
    raise SchemaError(f"field {name!r}: no Elasticsearch type for {annotation!r}; "
                      "add a rule to crawler/es_schema.py field_mapping")


def item_fields(cls: type) -> dict[str, Any]:
    """The resolved annotation of every field of an item dataclass."""
    namespace = {**vars(items), **vars(sys.modules[cls.__module__]), "date": date, "datetime": datetime}
    hints = typing.get_type_hints(cls, globalns=namespace)
    return {item_field.name: hints[item_field.name] for item_field in dataclasses.fields(cls)}


def index_mapping(kind: IndexKind) -> Body:
    """The mapping of index `<prefix>-<kind>`: one field per dataclass field, nothing else accepted."""
    properties = {name: field_mapping(name, annotation)
                  for name, annotation in item_fields(_ITEM_CLASS[kind]).items()}
    return {"dynamic": "strict", "properties": dict(sorted(properties.items()))}


def production_mapping(kind: IndexKind) -> Body:
    """The code's mapping with the production Chinese analyzers on every text field."""
    mapping = copy.deepcopy(index_mapping(kind))
    for spec in mapping["properties"].values():
        if spec.get("type") == "text":
            spec["analyzer"] = PRODUCTION_INDEX_ANALYZER
            spec["search_analyzer"] = PRODUCTION_SEARCH_ANALYZER
    return mapping


def without_analyzers(mapping: Body) -> Body:
    """A mapping with its analyzer choices removed: equal results mean the same fields and types."""
    return {key: without_analyzers(value) if isinstance(value, dict) else value
            for key, value in mapping.items() if key not in _ANALYZER_KEYS}


def local_settings(kind: IndexKind) -> Body:
    """The index settings of the local template of `kind`."""
    settings = copy.deepcopy(LOCAL_SETTINGS)
    settings["index"]["refresh_interval"] = REFRESH_INTERVALS[kind]
    return settings


def template_body(prefix: str, kind: IndexKind) -> Body:
    """The composable index template the code installs (local settings)."""
    return {
        "index_patterns": [f"{index_name(prefix, kind)}*"],
        "priority": TEMPLATE_PRIORITY,
        "template": {"settings": local_settings(kind), "mappings": index_mapping(kind)},
        "_meta": {"managed_by": "govcrawl", "profile": "local"},
    }


def _flat_settings(settings: Body, parent: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in settings.items():
        name = f"{parent}.{key}" if parent else key
        if isinstance(value, dict):
            flat.update(_flat_settings(value, name))
        else:
            flat[name if name.startswith("index.") else f"index.{name}"] = str(value)
    return flat


def _same_template(existing: Body, desired: Body) -> bool:
    existing_template, desired_template = existing.get("template", {}), desired["template"]
    return (existing.get("index_patterns") == desired["index_patterns"]
            and existing.get("priority") == desired["priority"]
            and existing.get("_meta") == desired["_meta"]
            and existing_template.get("mappings") == desired_template["mappings"]
            and _flat_settings(existing_template.get("settings", {}))
            == _flat_settings(desired_template["settings"]))


def _mapping_differences(existing: Body, desired: Body) -> list[str]:
    have, want = without_analyzers(existing), without_analyzers(desired)
    fields = set(have.get("properties", {})) | set(want.get("properties", {}))
    changed = sorted(name for name in fields
                     if have.get("properties", {}).get(name) != want.get("properties", {}).get(name))
    if have.get("dynamic") != want.get("dynamic"):
        changed.append("(dynamic)")
    return changed


@dataclass(slots=True)
class InstallStep:
    """One thing install_templates looked at: what it did, and the call that does it (None: nothing)."""

    outcome: Literal["created", "updated", "unchanged", "kept production"]
    what: Literal["template", "index", "settings of"]
    name: str
    call: str | None = None
    arguments: Body = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.outcome} {self.what} {self.name}"


def plan_install(prefix: str, templates: dict[str, Body], indices: dict[str, Body]) -> list[InstallStep]:
    """What to do given the templates (`name -> index_template`) and indices (`GET <names>` answer) found."""
    steps: list[InstallStep] = []
    for kind in INDEX_KINDS:
        name = index_name(prefix, kind)
        desired = template_body(prefix, kind)
        existing = templates.get(name)
        governing = desired
        if existing is None:
            steps.append(InstallStep("created", "template", name, "indices.put_index_template",
                                     {"name": name, **desired}))
        elif existing.get("_meta", {}).get("profile") == "production":
            governing = existing
            changed = _mapping_differences(existing.get("template", {}).get("mappings", {}),
                                           desired["template"]["mappings"])
            if changed:
                raise SchemaError(
                    f"production template {name} differs from the code in {', '.join(changed)}: run "
                    f"`scrapy templates --sync-deploy deploy/elasticsearch` and load {name}.json again")
            steps.append(InstallStep("kept production", "template", name))
        elif _same_template(existing, desired):
            steps.append(InstallStep("unchanged", "template", name))
        else:
            steps.append(InstallStep("updated", "template", name, "indices.put_index_template",
                                     {"name": name, **desired}))
        steps.extend(_plan_index(name, governing, indices))
    return steps


def _plan_index(name: str, governing: Body, indices: dict[str, Body]) -> list[InstallStep]:
    mapping = governing.get("template", {}).get("mappings", {})
    concrete = sorted(index for index, state in indices.items()
                      if index == name or name in state.get("aliases", {}))
    if not concrete:
        if governing.get("_meta", {}).get("rollover"):
            first = f"{name}-000001"  # the ILM rollover alias `name` points at the write index
            return [InstallStep("created", "index", f"{first} (write alias {name})", "indices.create",
                                {"index": first, "aliases": {name: {"is_write_index": True}}})]
        return [InstallStep("created", "index", name, "indices.create", {"index": name})]
    steps = []
    for index in concrete:
        if _mapping_differences(indices[index].get("mappings", {}), mapping):
            steps.append(InstallStep("updated", "index", index, "indices.put_mapping",
                                     {"index": index, **mapping}))
        else:
            steps.append(InstallStep("unchanged", "index", index))
        steps.extend(_plan_refresh(index, governing, indices[index]))
    return steps


def _plan_refresh(index: str, governing: Body, state: Body) -> list[InstallStep]:
    """A local index created under an older template takes the template's refresh interval.

    An index under a production template keeps whatever its operators set.
    """
    if governing.get("_meta", {}).get("profile") != "local":
        return []
    wanted = governing["template"]["settings"]["index"]["refresh_interval"]
    if state.get("settings", {}).get("index", {}).get("refresh_interval", "1s") == wanted:
        return []
    return [InstallStep("updated", "settings of", index, "indices.put_settings",
                        {"index": index, "settings": {"index": {"refresh_interval": wanted}}})]


def _templates_found(answer: Body, prefix: str) -> dict[str, Body]:
    wanted = {index_name(prefix, kind) for kind in INDEX_KINDS}
    return {entry["name"]: entry["index_template"] for entry in answer.get("index_templates", [])
            if entry["name"] in wanted}


def _method(client: Any, call: str) -> Any:
    namespace, method = call.split(".")
    return getattr(getattr(client, namespace), method)


def _raced_or_raise(exc: ApiError, step: InstallStep) -> None:
    """Another worker starting at the same moment created the index first: that is the wanted state."""
    if step.call == "indices.create" and exc.error == "resource_already_exists_exception":
        step.outcome = "unchanged"
        return
    raise SchemaError(f"Elasticsearch refused the step '{step}': {exc}. A field whose type changed needs "
                      "a new index and a reindex (see deploy/elasticsearch/README.md)") from exc


def install_templates(client: Elasticsearch, prefix: str) -> list[str]:
    """Install the index templates `<prefix>-<kind>` and create missing indices; report each step.

    Idempotent: a second call changes nothing and reports every template and index as unchanged.
    A production template (deploy/elasticsearch) is never overwritten, only checked against the code.
    """
    names = [index_name(prefix, kind) for kind in INDEX_KINDS]
    templates = client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}-*")
    indices = client.indices.get(index=names, ignore_unavailable=True, allow_no_indices=True)
    steps = plan_install(prefix, _templates_found(dict(templates.body), prefix), dict(indices.body))
    for step in steps:
        if step.call is not None:
            try:
                _method(client, step.call)(**step.arguments)
            except ApiError as exc:
                _raced_or_raise(exc, step)
        logger.info("Elasticsearch schema: %(step)s", {"step": step})
    return [str(step) for step in steps]


async def install_templates_async(client: AsyncElasticsearch, prefix: str) -> list[str]:
    """install_templates for the asyncio client (IndexingPipeline.open_spider)."""
    names = [index_name(prefix, kind) for kind in INDEX_KINDS]
    templates = await client.options(ignore_status=404).indices.get_index_template(name=f"{prefix}-*")
    indices = await client.indices.get(index=names, ignore_unavailable=True, allow_no_indices=True)
    steps = plan_install(prefix, _templates_found(dict(templates.body), prefix), dict(indices.body))
    for step in steps:
        if step.call is not None:
            try:
                await _method(client, step.call)(**step.arguments)
            except ApiError as exc:
                _raced_or_raise(exc, step)
        logger.info("Elasticsearch schema: %(step)s", {"step": step})
    return [str(step) for step in steps]
