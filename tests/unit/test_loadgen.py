"""The bench's load generator reads what an HTTP/1.1 server may send: headers in any order
(content-length last, as a bare ASGI app's own headers come after the server's), and a response
split over several writes."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.benchmarks.loadgen import closed_loop


class _Reply(asyncio.Protocol):
    """Answers each request with its own body, content-length last, in two writes."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[: end + 2].lower()  # each header line with its CRLF
            start = head.find(b"content-length:") + 15
            length = int(head[start : head.find(b"\r\n", start)])
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(  # type: ignore[attr-defined]
                b"HTTP/1.1 200 OK\r\nserver: test\r\ncontent-length: %d\r\n\r\n" % len(body)
            )
            self.transport.write(body)  # type: ignore[attr-defined]


@pytest.fixture
def server_url() -> Iterator[str]:
    loop = asyncio.new_event_loop()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = loop.run_until_complete(loop.create_server(_Reply, "127.0.0.1", port))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/echo"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    server.close()


def test_closed_loop_reads_content_length_as_the_last_header(server_url: str) -> None:
    result = closed_loop(server_url, [{"n": i, "pad": "x" * i} for i in range(50)], seconds=0.5)
    assert result["errors"] == 0
    assert result["rps"] > 0 and result["p99_ms"] > 0
