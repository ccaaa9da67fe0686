"""`scrapy templates`: install the Elasticsearch index templates and indices (GOVCRAWL_ES_* settings)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from elastic_transport import TransportError
from elasticsearch import ApiError
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import connections
from crawler.es_schema import SchemaError, install_templates, production_mapping
from crawler.naming import INDEX_KINDS, index_name, index_prefix
from crawler.service_checks import ServiceUnavailable, elasticsearch_client, run_command

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)

PRODUCTION_PREFIX = "govcrawl"


def sync_deploy_templates(directory: Path) -> list[Path]:
    """Rewrite the mappings of the production templates in `directory/templates/` from the code.

    Settings, ILM names and `_meta` in those files are maintained by hand and left as they are.
    """
    written = []
    for kind in INDEX_KINDS:
        path = directory / "templates" / f"{index_name(PRODUCTION_PREFIX, kind)}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: copy another template there and adjust its settings")
        body = json.loads(path.read_text(encoding="utf-8"))
        body["template"]["mappings"] = production_mapping(kind)
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


class Command(ScrapyCommand):
    requires_project = True
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "[--sync-deploy DIR]"

    def short_desc(self) -> str:
        return "Install the Elasticsearch index templates and create missing indices"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--sync-deploy", metavar="DIR", default=None,
            help="only rewrite the mappings of the production templates in DIR (deploy/elasticsearch) "
                 "from the code; no Elasticsearch needed",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("templates takes no arguments")
        assert self.settings is not None
        if opts.sync_deploy is not None:
            try:
                for path in sync_deploy_templates(Path(opts.sync_deploy)):
                    logger.info("Wrote the mappings of %(path)s", {"path": path})
            except (FileNotFoundError, json.JSONDecodeError, KeyError) as exc:
                logger.error("Could not sync %(dir)s: %(error)s", {"dir": opts.sync_deploy, "error": exc})
                self.exitcode = 1
            return
        run_command(self, self._install)

    def _install(self) -> None:
        assert self.settings is not None
        prefix = index_prefix(self.settings)
        client = elasticsearch_client(self.settings)
        address = connections.describe_es(self.settings)
        try:
            steps = install_templates(client, prefix)
        except TransportError as exc:
            raise ServiceUnavailable(f"Elasticsearch at {address} failed while installing templates "
                                     f"({exc})") from exc
        except (ApiError, SchemaError) as exc:
            logger.error("%(error)s", {"error": exc})
            self.exitcode = 1
            return
        finally:
            client.close()
        changed = sum(1 for step in steps if not step.startswith(("unchanged", "kept")))
        logger.info("Elasticsearch schema at %(address)s, prefix %(prefix)s: %(changed)d of %(total)d "
                    "templates and indices created or updated", {"address": address, "prefix": prefix,
                                                                 "changed": changed, "total": len(steps)})
