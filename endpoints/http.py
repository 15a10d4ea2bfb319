"""POSTing a webhook: to the address the guard checked, with the URL's host in ``Host`` and in TLS (SNI and the
certificate check), no redirect followed, 10 seconds in all, and at most 64 KB of the answer read.

Connections are kept open between posts, one idle set per (scheme, checked address, port, host name), so that a
worker posting many webhooks to one endpoint connects once. A kept connection is only ever used for the same
address the guard checked for this post, and is dropped when the endpoint closed it, when it asked to close it,
when more than 64 KB of an answer was left unread, or after IDLE_SECONDS unused. A post on a kept connection that
the endpoint closed without any answer is sent again once on a new connection, with the same headers (so the same
``webhook-id``), as HTTP clients do for an idle connection closed under them.
"""

import http.client
import os
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import certifi

from endpoints import guard

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
IDLE_SECONDS = 30.0  # a kept connection unused for this long is closed
MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers
RECV_BYTES = 65536
MAX_IDLE = 256  # kept connections in all, per process; the least recently used endpoint's go first
# A kept connection the endpoint closed before answering (most often as it was being reused): sent once more.
DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float


class SendFailed(Exception):
    """The endpoint could not be reached, or did not answer in time; the message says which."""


@lru_cache(maxsize=1)
def tls_context():
    """Certificates checked against certifi's bundle, for the URL's host name (the connection is to an address)."""
    return ssl.create_default_context(cafile=certifi.where())


class Connection:
    """One HTTP/1.1 connection to a checked address: a request is written in one piece and its answer read with as
    little parsing as it needs (status, framing, ``Connection``), at most 64 KB of its body."""

    def __init__(self, scheme, address, port, host):
        self.scheme, self.address, self.port, self.host = scheme, address, port, host
        self.sock = None
        self.buffer = b""  # what was read past the last answer (nothing, from a well-behaved endpoint)

    def open(self, deadline):
        sock = socket.create_connection((self.address, self.port), timeout=_left(deadline))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.scheme == "https":
                sock = tls_context().wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, head, body, deadline):
        """Send ``head`` (the request line and headers, bytes) and ``body``; returns (status, at most 64 KB of the
        answer's body, whether the connection may carry another request)."""
        if self.sock is None:
            self.open(deadline)
        self.sock.settimeout(_left(deadline))
        self.sock.sendall(head + body)
        while True:
            status, version, headers = self._read_head(deadline)
            if not 100 <= status < 200:
                break  # an interim answer (100 Continue, 103 Early Hints) is followed by the real one
        keep = version == b"HTTP/1.1" and b"close" not in headers.get(b"connection", b"").lower()
        if status in (204, 304):
            return status, b"", keep and not self.buffer
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            data, complete = self._read_chunked(deadline)
            return status, data, keep and complete and not self.buffer
        length = headers.get(b"content-length")
        if length is None or not length.strip().isdigit():
            return status, self._read_upto(MAX_RESPONSE_BYTES, deadline, until_close=True), False
        length = int(length)
        data = self._read_upto(min(length, MAX_RESPONSE_BYTES), deadline)
        return status, data, keep and length <= MAX_RESPONSE_BYTES and not self.buffer

    def _fill(self, deadline):
        self.sock.settimeout(_left(deadline))
        data = self.sock.recv(RECV_BYTES)
        if not data:
            raise EOFError
        self.buffer += data

    def _read_head(self, deadline):
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise http.client.LineTooLong("the answer's headers")
            try:
                self._fill(deadline)
            except EOFError:
                raise http.client.RemoteDisconnected("the endpoint closed the connection without an answer") from None
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not (parts[1].isdigit() and len(parts[1]) == 3):
            raise http.client.BadStatusLine(lines[0][:100].decode("latin-1"))
        headers = {}
        for line in lines[1:]:
            name, _colon, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        return int(parts[1]), parts[0], headers

    def _read_upto(self, size, deadline, until_close=False):
        try:
            while len(self.buffer) < size:
                self._fill(deadline)
        except EOFError:
            if not until_close:
                raise http.client.IncompleteRead(self.buffer) from None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_chunked(self, deadline):
        """(at most 64 KB of a chunked body, whether all of it and its trailer were read)."""
        data = b""
        while len(data) < MAX_RESPONSE_BYTES:
            while (end := self.buffer.find(b"\r\n")) < 0:
                self._fill_or_fail(deadline)
            size = int(self.buffer[:end].split(b";", 1)[0].strip() or b"x", 16)
            self.buffer = self.buffer[end + 2 :]
            if size == 0:
                while (end := self.buffer.find(b"\r\n")) != 0:  # trailer lines, then the empty line
                    if end > 0:
                        self.buffer = self.buffer[end + 2 :]
                    else:
                        self._fill_or_fail(deadline)
                self.buffer = self.buffer[2:]
                return data, True
            while len(self.buffer) < size + 2:
                if len(data) + len(self.buffer) >= MAX_RESPONSE_BYTES:
                    return (data + self.buffer)[:MAX_RESPONSE_BYTES], False
                self._fill_or_fail(deadline)
            data += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
        return data[:MAX_RESPONSE_BYTES], False

    def _fill_or_fail(self, deadline):
        try:
            self._fill(deadline)
        except EOFError:
            raise http.client.IncompleteRead(b"") from None


class Connections:
    """Idle kept-alive connections by (scheme, address, port, host), shared by a process's sending threads."""

    def __init__(self):
        self._idle = OrderedDict()  # key: deque of (connection, idle since), least recently used key first
        self._count = 0
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def take(self, key):
        """A kept connection for ``key`` still open at the other end, or None."""
        now = time.monotonic()
        while True:
            with self._lock:
                kept = self._idle.get(key)
                if not kept:
                    return None
                connection, since = kept.pop()
                self._count -= 1
            if now - since < IDLE_SECONDS and not _dropped(connection):
                return connection
            connection.close()

    def give(self, key, connection):
        now = time.monotonic()
        closing = []
        with self._lock:
            self._idle.setdefault(key, deque()).append((connection, now))
            self._idle.move_to_end(key)
            self._count += 1
            while self._count > MAX_IDLE:
                oldest_key, oldest = next(iter(self._idle.items()))
                closing.append(oldest.popleft()[0])
                self._count -= 1
                if not oldest:
                    del self._idle[oldest_key]
            if now - self._swept > IDLE_SECONDS:
                self._swept = now
                for kept_key, kept in list(self._idle.items()):
                    while kept and now - kept[0][1] >= IDLE_SECONDS:
                        closing.append(kept.popleft()[0])
                        self._count -= 1
                    if not kept:
                        del self._idle[kept_key]
        for stale in closing:
            stale.close()

    def clear(self):
        with self._lock:
            idle, self._idle, self._count = self._idle, OrderedDict(), 0
        for kept in idle.values():
            for connection, _since in kept:
                connection.close()


def _dropped(connection):
    """True when the endpoint closed the idle connection (or sent something unasked): it cannot carry a request."""
    sock = connection.sock
    if sock is None:
        return True
    poller = select.poll()
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


connections = Connections()
os.register_at_fork(after_in_child=lambda: connections.__init__())  # a child never shares its parent's sockets


def post(url, body, headers, *, timeout=None, check=None):
    """POST ``body`` to ``url``; returns the Answer, or raises guard.UnsafeURL or SendFailed.

    ``check`` is the guard's ``check_and_resolve`` or a caller's cache of it (guard.Resolutions).
    """
    timeout = timeout or TIMEOUT_SECONDS
    scheme, host, port, target, addresses = (check or guard.check_and_resolve)(url)
    address = str(addresses[0])
    name = host if host.isascii() else host.encode("idna").decode("ascii")
    host_header = name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
    head = _head(target, {**headers, "Host": host_header, "Content-Length": str(len(body))})
    key = (scheme, address, port, host)
    started = time.monotonic()
    deadline = started + timeout
    connection = connections.take(key)
    while True:
        kept = connection is not None
        if not kept:
            connection = Connection(scheme, address, port, host)
        try:
            status, data, reusable = connection.exchange(head, body, deadline)
            break
        except DROPPED as exc:
            connection.close()
            if kept and time.monotonic() < deadline:
                connection = None  # the endpoint closed the kept connection: once more on a new one
                continue
            raise SendFailed(f"{type(exc).__name__}: {_reason(exc)}") from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            connection.close()
            raise SendFailed(f"{type(exc).__name__}: {_reason(exc)}") from None
    if reusable:
        connections.give(key, connection)
    else:
        connection.close()
    seconds = time.monotonic() - started
    if seconds > timeout:
        raise SendFailed(f"the endpoint took {seconds:.1f}s to answer (more than {timeout:.0f}s)")
    return Answer(status=status, body=data, seconds=seconds)


def _head(target, headers):
    """The request line and headers (the target's non-ASCII characters percent-encoded), refused if any of them
    could split the request."""
    if not target.isascii():
        target = quote(target, safe="".join(chr(code) for code in range(33, 127)))
    text = f"POST {target} HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    lines = len(headers) + 1
    if " " in target or text.count("\n") != lines or text.count("\r") != lines:
        raise SendFailed("a header or the target contains a line break or a space")
    return (text + "\r\n").encode("latin-1")


def _left(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


def _reason(exc):
    return str(exc or getattr(exc, "reason", None) or type(exc).__name__)[:300]
