"""POSTing a webhook: to the address the guard checked, with the URL's host in ``Host`` and in TLS (SNI and the
certificate check), no redirect followed, 10 seconds in all, and at most 64 KB of the answer read."""

import time
from dataclasses import dataclass

import certifi
import urllib3
from urllib3.exceptions import HTTPError

from endpoints import guard

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass
class Answer:
    status: int
    body: bytes
    seconds: float


class SendFailed(Exception):
    """The endpoint could not be reached, or did not answer in time; the message says which."""


def post(url, body, headers, *, timeout=None):
    """POST ``body`` to ``url``; returns the Answer, or raises guard.UnsafeURL or SendFailed."""
    timeout = timeout or TIMEOUT_SECONDS
    scheme, host, port, target, addresses = guard.check_and_resolve(url)
    address = str(addresses[0])
    host_header = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
    options = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            data = response.read(MAX_RESPONSE_BYTES)
        finally:
            response.release_conn()
    except HTTPError as exc:
        raise SendFailed(f"{type(exc).__name__}: {_reason(exc)}") from None
    except OSError as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from None
    finally:
        pool.close()
    seconds = time.monotonic() - started
    if seconds > timeout:
        raise SendFailed(f"the endpoint took {seconds:.1f}s to answer (more than {timeout:.0f}s)")
    return Answer(status=response.status, body=data, seconds=seconds)


def _reason(exc):
    reason = getattr(exc, "reason", None)
    return str(reason or exc)[:300]
