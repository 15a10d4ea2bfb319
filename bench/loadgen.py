"""A small HTTP/1.1 load generator: N keep-alive connections, each looping over paths until a deadline.

Used by the benchmarks so that every figure in the README is measured the same
way. It only ever talks to the loopback address it is given.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Stats:
    path: str
    latencies: list = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)

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
        }


async def _read_response(reader):
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
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
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}Connection: keep-alive\r\n\r\n"
            started = time.perf_counter()
            writer.write(request.encode())
            status, close = await _read_response(reader)
            elapsed = time.perf_counter() - started
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
