"""The rules a new API key's name and tenant follow (`core.keys`), whoever issues it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.keys import (
    OPERATOR_TENANT,
    KeyView,
    checked_key_name,
    checked_tenant_id,
)
from core.models import utcnow

pytestmark = pytest.mark.unit


def view(expires_in_s: float | None, revoked: bool = False) -> KeyView:
    now = utcnow()
    return KeyView("k", "t", "name", "fk_abc", ("search",), now,
                   now + timedelta(seconds=expires_in_s) if expires_in_s is not None else None,
                   None, now if revoked else None)


def test_a_keys_status_is_revoked_expired_or_active() -> None:
    now = utcnow()
    assert view(None).status(now) == "active"
    assert view(60).status(now) == "active"
    assert view(-1).status(now) == "expired"
    assert view(-1, revoked=True).status(now) == "revoked"


def test_a_tenant_key_may_not_join_the_operators_tenant_but_an_operator_key_may() -> None:
    with pytest.raises(ValueError, match="reserved tenant"):
        checked_tenant_id(OPERATOR_TENANT, ["admin", "search"])
    assert checked_tenant_id(OPERATOR_TENANT, ["operator"]) == OPERATOR_TENANT


@pytest.mark.parametrize("tenant", ["", "  ", "a\x00b", "a\x01b", "a\nb", "a\u2028b", "t" * 65])
def test_unprintable_empty_or_overlong_tenant_ids_are_refused(tenant: str) -> None:
    with pytest.raises(ValueError):
        checked_tenant_id(tenant, ["search"])


@pytest.mark.parametrize("name", ["", " ", "a\tb", "a\x7fb", "n" * 201])
def test_unprintable_empty_or_overlong_key_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        checked_key_name(name)


@pytest.mark.integration
def test_issue_applies_the_rules(key_ring) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="reserved tenant"):
        key_ring.issue("x", ["admin"], tenant_id=OPERATOR_TENANT)
    with pytest.raises(ValueError, match="at most 200"):
        key_ring.issue("n" * 5000, ["search"])
    assert key_ring.issue("Lab key (ünïcode ok)", ["search"], tenant_id="tenant-a").tenant_id \
        == "tenant-a"
