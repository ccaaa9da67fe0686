"""Scrapy's downloader with its per-host concurrency limit enforced (DOWNLOADER setting)."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot


class PoliteDownloader(Downloader):
    """Starts at most CONCURRENT_REQUESTS_PER_DOMAIN downloads per host.

    Scrapy 2.19 adds a request to `slot.transferring` only once its download coroutine runs, after
    `_process_queue` has already drained the whole slot queue: every queued request of a host starts
    at once (measured on the farm: 14 in flight against a limit of 2). Here a request counts as
    transferring from the moment it leaves the queue; `_download` adds it again (a set) and removes it.
    """

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
