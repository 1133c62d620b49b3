"""SSRF refusals of the webhook URL policy."""

from __future__ import annotations

import pytest

from core.url_policy import UrlPolicy, UrlRefused

pytestmark = pytest.mark.unit


def resolver_of(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return lambda host, port: table.get(host, [host])


POLICY = UrlPolicy.build(False, [], [], resolver_of({
    "rebind.example": ["10.0.0.7"], "hooks.example": ["93.184.215.14"],
    "mixed.example": ["93.184.215.14", "192.168.1.4"]}))


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://10.1.2.3/x", "https://169.254.169.254/latest/meta-data",
    "https://[::1]/x", "https://[fd00::1]/x", "https://192.168.0.10/x", "https://0.0.0.0/x",
    "https://rebind.example/x", "https://mixed.example/x", "https://[::ffff:127.0.0.1]/x",
    # private IPv4 spelt as IPv6: NAT64, 6to4, IPv4-compatible, Teredo
    "https://[64:ff9b::7f00:1]/x", "https://[64:ff9b::a9fe:a9fe]/x",
    "https://[64:ff9b:1::c0a8:1]/x", "https://[2002:7f00:1::]/x", "https://[2002:a00:1::1]/x",
    "https://[::127.0.0.1]/x", "https://[::10.0.0.1]/x",
    # IPv4-translated (SIIT): ::ffff:0:a.b.c.d
    "https://[::ffff:0:7f00:1]/x", "https://[::ffff:0:a9fe:a9fe]/x",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
    # IETF protocol assignments (192.0.0.0/24) beyond what Python's is_global knows
    "https://192.0.0.8/x", "https://192.0.0.100/x", "https://[::ffff:192.0.0.8]/x",
])
def test_non_public_destinations_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused, match="non-public"):
        POLICY.check(url)


def test_https_only_unless_http_is_allowed() -> None:
    with pytest.raises(UrlRefused, match="https"):
        POLICY.check("http://hooks.example/x")
    with pytest.raises(UrlRefused):
        POLICY.check("ftp://hooks.example/x")
    target = POLICY.check("https://hooks.example/x")
    assert (target.address, target.port, target.host) == ("93.184.215.14", 443, "hooks.example")


def test_allow_lists_open_exact_hosts_and_networks() -> None:
    policy = UrlPolicy.build(True, ["localhost"], ["10.0.0.0/8"],
                             resolver_of({"localhost": ["127.0.0.1"]}))
    assert policy.check("http://localhost:9000/hook").address == "127.0.0.1"
    assert policy.check("http://10.9.9.9/hook").address == "10.9.9.9"
    with pytest.raises(UrlRefused):
        policy.check("http://127.0.0.1/hook")


def test_a_name_resolving_to_a_private_address_is_refused_by_real_dns() -> None:
    with pytest.raises(UrlRefused, match="non-public"):
        UrlPolicy.build(True, [], []).check("http://localhost:8080/hook")


@pytest.mark.parametrize("url", ["https://[64:ff9b::808:808]/x", "https://[2002:808:808::1]/x",
                                 "https://[2606:4700::1111]/x"])
def test_ipv6_spellings_of_public_addresses_pass(url: str) -> None:
    POLICY.check(url)


@pytest.mark.parametrize("url", ["https://a..b.com/", "https://.example.com/x",
                                 "https://example.com../", f"https://{'a' * 64}.example/",
                                 "https://xn--zz.example/"])
def test_a_host_no_request_can_name_is_refused_before_resolving(url: str) -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise AssertionError(f"{host} was resolved")

    with pytest.raises(UrlRefused, match="not a valid host name"):
        UrlPolicy.build(False, [], [], resolver).check(url)


@pytest.mark.parametrize(("url", "reason"), [
    ("https://hooks.example:0/x", "port 0"),
    ("https://hooks.example/" + "a" * 2100, "longer than 2,048 characters")])
def test_a_url_no_receiver_can_have_is_refused(url: str, reason: str) -> None:
    """Port 0 was accepted, and a 60,015-character URL was stored and sent back whole in
    every delivery listing."""
    with pytest.raises(UrlRefused, match=reason):
        POLICY.check(url)
    POLICY.check("https://hooks.example:8443/" + "a" * 2000)
