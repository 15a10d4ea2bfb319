"""A small HTTP/1.1 load generator: N keep-alive connections, each looping over paths until a deadline.

Used by the benchmarks so that every figure in the README is measured the same
way. It only ever talks to the loopback address it is given.
"""

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Stats:
    path: str
    latencies: list = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    connection_errors: int = 0  # of ``errors``: the connection failed or was closed under a request
    retried: int = 0  # requests sent again on a new connection after a kept-alive one was closed unanswered

    def summary(self, seconds):
        lat = sorted(self.latencies)

        def pct(p):
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

        return {
            "path": self.path,
            "requests": len(lat),
            "errors": self.errors,
            "rps": len(lat) / seconds,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
            "statuses": dict(self.statuses),
            "connection_errors": self.connection_errors,
            "retried": self.retried,
        }


class Unanswered(ConnectionError):
    """The server closed the connection before sending any byte of the response."""


async def _read_response(reader):
    try:
        status_line = await reader.readline()
    except ConnectionError as exc:
        raise Unanswered(str(exc)) from exc
    if not status_line:
        raise Unanswered("connection closed")
    status = int(status_line.split()[1])
    length, chunked, close = 0, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.lower() == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status, close


async def _connection(host, port, paths, stats, deadline, headers):
    reader = writer = None
    i = 0
    while time.monotonic() < deadline:
        path = paths[i % len(paths)]
        i += 1
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Connection: keep-alive\r\n\r\n"
        try:
            started = time.perf_counter()
            for attempt in (1, 2):
                reused = writer is not None
                if not reused:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(request.encode())
                try:
                    status, close = await _read_response(reader)
                    break
                except Unanswered:
                    writer.close()
                    writer = None
                    # A kept-alive connection that the server closed as the request went out (an idle timeout, a
                    # worker being recycled): browsers and HTTP libraries send an idempotent GET again on a new
                    # connection (RFC 9112, 9.3.1.1), once. A fresh connection that fails is an error.
                    if not reused or attempt == 2:
                        raise
                    stats[path].retried += 1
            elapsed = time.perf_counter() - started  # a retry's time counts
            stats[path].statuses[status] = stats[path].statuses.get(status, 0) + 1
            if 200 <= status < 400:
                stats[path].latencies.append(elapsed)
            else:
                stats[path].errors += 1
            if close:
                writer.close()
                writer = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats[path].errors += 1
            stats[path].connection_errors += 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def _run(host, port, paths, connections, seconds, headers):
    stats = {path: Stats(path) for path in paths}
    deadline = time.monotonic() + seconds
    # Spread the connections over the paths so each path gets its own share of load.
    await asyncio.gather(
        *(
            _connection(host, port, paths[n % len(paths) :] + paths[: n % len(paths)], stats, deadline, headers)
            for n in range(connections)
        )
    )
    return [stats[path].summary(seconds) for path in paths]


def run(port, paths, connections=50, seconds=30.0, host="127.0.0.1", headers=None):
    """Load ``paths`` on ``host:port`` with ``connections`` keep-alive connections; return one summary per path."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return asyncio.run(_run(host, port, list(paths), connections, seconds, extra))


def table(summaries):
    lines = [f"{'path':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"]
    for s in summaries:
        lines.append(f"{s['path']:<32} {s['rps']:>9.1f} {s['p50_ms']:>8.1f} {s['p99_ms']:>8.1f} {s['errors']:>7}")
    return "\n".join(lines)


def gunicorn_port(server, log, workers, timeout=30):
    """Wait until gunicorn (``server``, logging to ``log``) listens with all ``workers`` booted; return its port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
        if match and text.count("Booting worker") >= workers:
            return int(match.group(1))
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {text}")
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start within {timeout} s")
