"""Where webhooks may go: https only (http by configuration), and never to loopback,
private, link-local (cloud metadata), multicast or reserved addresses unless allow-listed.

The check runs at submit and again at send time on the addresses the name resolves to then;
the sender connects to the checked address, so a DNS answer that changes in between (DNS
rebinding) cannot redirect it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import idna

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """The URL may not receive webhooks; the message says why."""


def nameable(host: str) -> bool:
    """Whether a request can name `host` (an IP address, or a name IDNA encodes): "a..b",
    "xn--zz", a label of 64 letters or bytes that are not UTF-8 cannot be resolved (the
    resolver raised UnicodeError: a webhook URL "http://a..b.com/" was a 500)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return True
    try:
        idna.encode(host, uts46=True)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


# a webhook URL's length at most (the common limit of browsers and servers)
MAX_URL_CHARS = 2048


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UrlRefused(f"cannot resolve {host!r}: {exc.strerror}") from exc
    except UnicodeError as exc:  # a name IDNA cannot encode (`nameable` refuses it first)
        raise UrlRefused(f"cannot resolve {host!r}: not a valid host name") from exc
    return sorted({str(info[4][0]) for info in infos})


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `address`, present `host` (Host header, SNI)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


@dataclass(frozen=True)
class UrlPolicy:
    allow_http: bool = False
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def build(cls, allow_http: bool, allowed_hosts: Sequence[str],
              allowed_networks: Sequence[str], resolver: Resolver | None = None) -> UrlPolicy:
        return cls(allow_http, frozenset(h.lower() for h in allowed_hosts),
                   tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks),
                   resolver or system_resolver)

    def destination(self, url: str) -> tuple[str, str, int]:
        """The URL's scheme, host name and port, without resolving the name. Raises
        UrlRefused (or ValueError for a port out of range) when the URL itself is refused."""
        if len(url) > MAX_URL_CHARS:  # it was stored, and sent back in every delivery
            raise UrlRefused(f"webhook URL is longer than {MAX_URL_CHARS:,} characters")
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme not in ("https", "http") or (scheme == "http" and not self.allow_http):
            raise UrlRefused("webhook URLs must use https" if not self.allow_http
                             else "webhook URLs must use http or https")
        if not host:
            raise UrlRefused("webhook URL has no host")
        if not nameable(host):
            raise UrlRefused(f"webhook URL's host {host!r} is not a valid host name (an "
                             "empty label, or one over 63 characters)")
        if parts.username or parts.password:
            raise UrlRefused("webhook URLs may not carry credentials")
        if parts.port == 0:
            raise UrlRefused("webhook URL's port 0 is no port a receiver listens on")
        return scheme, host, parts.port or (443 if scheme == "https" else 80)

    def check(self, url: str) -> Target:
        """Raises UrlRefused with the reason; returns the address to connect to."""
        scheme, host, port = self.destination(url)
        addresses = self.resolver(host, port)
        if not addresses:
            raise UrlRefused(f"{host!r} resolves to no address")
        for address in addresses:
            self._check_address(host, ipaddress.ip_address(address))
        return Target(url, scheme, host, port, addresses[0])

    def _check_address(self, host: str, address: IPAddress) -> None:
        if host in self.allowed_hosts or any(address in n for n in self.allowed_networks):
            return
        for reached in (address, *embedded_ipv4(address)):
            if not reached.is_global or reached.is_multicast or any(
                    reached in network for network in _NOT_GLOBAL):
                raise UrlRefused(f"{host!r} resolves to {address}, a non-public address "
                                 "(loopback, private, link-local or reserved); the "
                                 "deployment must allow-list it to use it "
                                 "(FRAGRANCE_WEBHOOK_ALLOWED_HOSTS or _NETWORKS)")


# not globally reachable, though Python's `is_global` says so (its table lags the IANA
# special-purpose registries): IETF protocol assignments (192.0.0.0/24, RFC 6890: Python
# knows only its /29 and .170/31; 192.0.0.8 is RFC 7600's dummy address)
_NOT_GLOBAL = (ipaddress.IPv4Network("192.0.0.0/24"),)

# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT, RFC 2765


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches through a translation or tunnel: mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::) and Teredo (server and client).
    Each must be public too."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped:
        found.append(address.ipv4_mapped)
    if address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED or \
            any(address in net for net in _NAT64):
        found.append(low32)
    if address.sixtofour:
        found.append(address.sixtofour)
    if address.teredo:
        found.extend(address.teredo)
    return found
