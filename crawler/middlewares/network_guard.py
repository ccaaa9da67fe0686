"""Refuse requests to private, loopback and link-local addresses outside GOVCRAWL_ALLOWED_NETWORKS."""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Self, cast

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from scrapy import Request
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddressError(IgnoreRequest):
    """The request's host resolves to an address that must not be fetched."""


def parse_networks(value: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs; a bad one raises ValueError naming it."""
    networks = []
    for part in (piece.strip() for piece in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"GOVCRAWL_ALLOWED_NETWORKS: {part!r} is not a network in CIDR form, e.g. 127.0.0.0/8"
            ) from exc
    return tuple(networks)


def is_forbidden(address: Address, allowed: Sequence[Network]) -> bool:
    """True for non-public addresses outside the allowed networks."""
    if any(address in network for network in allowed):
        return False
    return not address.is_global or address.is_multicast


class NetworkGuardMiddleware:
    """Checks the resolved address of every request, redirect hops included (they are new requests)."""

    def __init__(self, crawler: Crawler, allowed: tuple[Network, ...]) -> None:
        self.crawler = crawler
        self.allowed = allowed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        allowed = parse_networks(crawler.settings.get("GOVCRAWL_ALLOWED_NETWORKS") or "")
        logger.info("Network guard: private addresses allowed only in %(networks)s",
                    {"networks": ", ".join(map(str, allowed)) or "(none)"})
        return cls(crawler, allowed)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname
        if not host:
            return
        address = await self._resolve(host)
        if address is not None and is_forbidden(address, self.allowed):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("govcrawl/guard/blocked_count")
            raise BlockedAddressError(
                f"{request.url}: {host} is {address}, a non-public address outside GOVCRAWL_ALLOWED_NETWORKS"
            )

    async def _resolve(self, host: str) -> Address | None:
        try:
            return ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        # Imported here: importing it at module load would install Twisted's default reactor
        # before Scrapy installs the asyncio one.
        from twisted.internet import reactor  # noqa: PLC0415

        # Twisted declares resolve on a zope interface without `self`, which shifts mypy's view of its
        # arguments by one; this is its real signature.
        resolve = cast("Callable[[str], Deferred[str]]", reactor.resolve)
        try:
            # The same caching resolver the downloader uses, so the connection gets this answer.
            resolved = await deferred_to_future(resolve(host))
        except DNSLookupError:
            return None  # the download fails with the same DNS error, which is what we record
        return ipaddress.ip_address(resolved)
