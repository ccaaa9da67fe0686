"""Raw HTTP/1.1 answers of world c and d sites (the farm server adds an ETag to 200s and keep-alive)."""

from __future__ import annotations

from http import HTTPStatus


def response(
    status: int,
    body: bytes,
    content_type: str,
    *,
    head: bool = False,
    location: str | None = None,
    server: str = "nginx",
    powered: str | None = None,
) -> bytes:
    """One HTTP/1.1 response; `Connection: keep-alive` (the server rewrites it to close when asked)."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        f"Server: {server}",
        "Connection: keep-alive",
    ]
    if powered is not None:
        lines.append(f"X-Powered-By: {powered}")
    if location is not None:
        lines.append(f"Location: {location}")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body
