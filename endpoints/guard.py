"""Which endpoint URLs may be called: the SSRF guard, used when subscribing and again before every send.

A URL must be https (http too when WEBHOOK_ALLOW_HTTP is on), at most 2,000 characters, without credentials, and
every address its host resolves to must be public: not loopback, private, link-local, multicast, reserved or
unspecified, unless it lies in one of WEBHOOK_ALLOWED_NETWORKS.
"""

import ipaddress
import re
import socket
import time
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

MAX_URL_LENGTH = 2000
SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
RESOLVE_TTL_SECONDS = 5.0  # how long a Resolutions keeps a host's answer


class UnsafeURL(ValueError):
    """The URL may not be called; the message says why, for people."""


def check_url(url):
    """Return (scheme, host, port, path with query) of a well-formed URL, or raise UnsafeURL. Resolves nothing."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURL(_("Enter the endpoint URL."))
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(_("The URL is longer than %(max)d characters.") % {"max": MAX_URL_LENGTH})
    if SPACE_OR_CONTROL.search(url):
        raise UnsafeURL(_("The URL contains spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(_("Enter a valid URL.")) from None
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeURL(_("The URL must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(_("The URL must not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("Enter a valid URL."))
    if parts.fragment:
        raise UnsafeURL(_("The URL must not have a fragment (#...)."))
    try:
        host.encode("idna")
    except UnicodeError:
        raise UnsafeURL(_("The URL's host name is not valid.")) from None
    port = port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, target


@lru_cache(maxsize=4096)
def _checked_url(url, allow_http):
    try:
        return check_url(url)
    except UnsafeURL as exc:
        return exc.args[0]


def checked_url(url, allow_http):
    """``check_url(url)`` with WEBHOOK_ALLOW_HTTP set to ``allow_http``, remembered: it resolves nothing."""
    parts = _checked_url(url, allow_http)
    if not isinstance(parts, tuple):
        raise UnsafeURL(parts)
    return parts


def resolve(host, port):
    """Every address ``host`` resolves to, if all of them may be called; else raise UnsafeURL."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeURL(_("The URL's host name does not resolve.")) from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(_("The URL's host name does not resolve."))
    refused = [address for address in addresses if not is_allowed(address)]
    if refused:
        raise UnsafeURL(
            _("The URL's host resolves to a private or reserved address (%(address)s).") % {"address": refused[0]}
        )
    return addresses


def is_allowed(address):
    """True for a public address, or one inside WEBHOOK_ALLOWED_NETWORKS."""
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    if any(address in network for network in settings.WEBHOOK_ALLOWED_NETWORKS if network.version == address.version):
        return True
    special = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return not special and address.is_global


def check_and_resolve(url):
    """(scheme, host, port, target, addresses) of a URL that may be called now, or raise UnsafeURL."""
    scheme, host, port, target = check_url(url)
    return scheme, host, port, target, resolve(host, port)


class Resolutions:
    """``check_and_resolve`` for one batch of sends (a chunk): each URL is checked, and each host resolved and
    checked, at most once every RESOLVE_TTL_SECONDS, the refusals included; a name that starts pointing somewhere
    refused is refused from its next lookup on. Safe to share between threads (at worst a host is looked up twice).
    """

    def __init__(self, ttl=None):
        self.ttl = RESOLVE_TTL_SECONDS if ttl is None else ttl
        self._hosts = {}  # (host, port): (time, [addresses]), or (time, why they are refused)

    def __call__(self, url):
        scheme, host, port, target = checked_url(url, settings.WEBHOOK_ALLOW_HTTP)
        now = time.monotonic()
        found = self._hosts.get((host, port))
        if found is None or now - found[0] >= self.ttl:
            try:
                addresses = resolve(host, port)
            except UnsafeURL as exc:
                addresses = exc.args[0]
            found = (now, addresses)
            self._hosts[(host, port)] = found
        if not isinstance(found[1], list):
            raise UnsafeURL(found[1])
        return scheme, host, port, target, found[1]
