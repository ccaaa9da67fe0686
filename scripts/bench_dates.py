"""Measure crawler.extract.dates throughput (pages/s on one core) over the real article pages."""

from __future__ import annotations

import argparse
import datetime
import logging
import pathlib
import time

from crawler.extract.dates import extract_publish_date

logger = logging.getLogger(__name__)

DEFAULT_PAGES_DIR = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "real-pages"
TODAY = datetime.date(2026, 11, 27)


def _pages_per_second(pages: list[bytes] | list[str], *, rounds: int) -> tuple[float, float]:
    """Pages per CPU second of this process (one core) and per wall-clock second."""
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for page in pages:
            extract_publish_date(page, None, today=TODAY)
    count = rounds * len(pages)
    return count / (time.process_time() - cpu_started), count / (time.perf_counter() - wall_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages-dir", type=pathlib.Path, default=DEFAULT_PAGES_DIR)
    parser.add_argument("--rounds", type=int, default=10, help="times each page is extracted")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = sorted(args.pages_dir.glob("*.html"))
    if not paths:
        raise SystemExit(f"no *.html under {args.pages_dir}: pass --pages-dir")
    bodies = [path.read_bytes() for path in paths]
    texts = [body.decode("utf-8", "replace") for body in bodies]
    mean_kib = sum(map(len, bodies)) / len(bodies) / 1024
    logger.info("%d pages, mean %.0f KiB, %d rounds", len(bodies), mean_kib, args.rounds)
    for label, pages in (("bytes (decode included)", bodies), ("str (decoded by Scrapy)", texts)):
        cpu_rate, wall_rate = _pages_per_second(pages, rounds=args.rounds)
        logger.info("%-26s %7.0f pages/CPU-s  %7.0f pages/s wall", label, cpu_rate, wall_rate)


if __name__ == "__main__":
    main()
