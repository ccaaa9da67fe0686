"""govcrawl's operator commands (COMMANDS_MODULE): seed, crawl, status, report, sample, templates, exporter...

Scrapy imports this package before it runs any command and before it logs its start-up banner (the
Scrapy version and bot name): that line says nothing an operator needs, so a filter drops it here
(a level would not do: Scrapy's logging set-up resets the levels of existing loggers). The versions
block that follows it is switched off by LOG_VERSIONS in crawler/settings.py.
"""

import logging


class _DropStartBanner(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Scrapy %(version)s started")


logging.getLogger("scrapy.utils.log").addFilter(_DropStartBanner())
