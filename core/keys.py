"""API keys: random bearer tokens stored as SHA-256 hashes, with scopes, an optional expiry,
a last-used time and a webhook signing secret.

Keys carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
Tenant keys carry tenant scopes (`search`, `generate`, `training`, and `admin`, which allows
them all within the tenant). The `operator` scope is deployment-wide (the default model,
circuit breakers, any tenant's keys) and is only ever granted alone, from the command line:
no tenant key carries it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.errors import KeyNotFound
from core.kinds import KINDS
from core.models import ApiKey, utcnow
from core.views import iso

# the scope each job kind's submit needs (core.kinds), and admin, which allows them all
SCOPES: frozenset[str] = frozenset({*(kind.scope for kind in KINDS.values()), "admin"})
OPERATOR = "operator"
KEY_PREFIX = "fk_"
OPERATOR_TENANT = "operator"  # the tenant of operator keys, reserved: no tenant key joins it
MAX_TENANT_ID_CHARS = 64  # the api_keys.tenant_id column
MAX_KEY_NAME_CHARS = 200  # the api_keys.name column
MAX_RETIRED_SECRETS = 5
LAST_USED_RESOLUTION_S = 60.0  # last_used_at is written at most this often per key


class Rotation(NamedTuple):
    """A new webhook secret; the replaced one signs until `previous_valid_until`;
    `ended_early` older replaced secrets stopped signing at once (`MAX_RETIRED_SECRETS`)."""

    secret: str
    previous_valid_until: datetime
    ended_early: int


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant whose jobs they may see, and what they may do."""

    key_id: str
    tenant_id: str
    scopes: frozenset[str]
    webhook_secret: str

    def allows(self, scope: str) -> bool:
        if scope == OPERATOR:
            return OPERATOR in self.scopes
        return scope in self.scopes or "admin" in self.scopes

    @property
    def is_operator(self) -> bool:
        return OPERATOR in self.scopes


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    tenant_id: str
    api_key: str
    webhook_secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class KeyView:
    """A key as its owners may see it (never the key or its hash)."""

    id: str
    tenant_id: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> KeyView:
        return cls(row.id, row.tenant_id, row.name, row.prefix, tuple(row.scopes),
                   row.created_at, row.expires_at, row.last_used_at, row.revoked_at)

    def status(self, now: datetime) -> str:
        """`revoked`, `expired` (its expiry has passed: the API refuses it) or `active`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tenant_id": self.tenant_id, "name": self.name,
                "prefix": self.prefix, "scopes": list(self.scopes),
                "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
                "last_used_at": iso(self.last_used_at), "revoked_at": iso(self.revoked_at)}


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def checked_scopes(scopes: Sequence[str]) -> list[str]:
    """The scopes of a new key; ValueError for unknown ones, none, or `operator` mixed with
    tenant scopes."""
    wanted = set(scopes)
    unknown = wanted - SCOPES - {OPERATOR}
    if unknown or not wanted:
        raise ValueError(f"unknown or missing scopes {sorted(unknown)}; "
                         f"choose from {sorted(SCOPES | {OPERATOR})}")
    if OPERATOR in wanted and wanted != {OPERATOR}:
        raise ValueError("the operator scope is granted alone: an operator key is not a "
                         "tenant key")
    return sorted(wanted)


def checked_tenant_id(tenant_id: str, scopes: Sequence[str]) -> str:
    """The tenant given for a new key with these scopes; ValueError for one that is empty,
    longer than the column holds, holds a control or other unprintable character, or is the
    operator's reserved tenant while the key is a tenant key."""
    _checked_text(tenant_id, "a tenant id", MAX_TENANT_ID_CHARS,
                  "a tenant id may not be empty (leave it out for a new tenant)")
    if tenant_id == OPERATOR_TENANT and OPERATOR not in scopes:
        raise ValueError(f"{OPERATOR_TENANT!r} is the operator's reserved tenant: a tenant "
                         "key cannot be made in it")
    return tenant_id


def checked_key_name(name: str) -> str:
    """A new key's name; ValueError for one that is empty, too long or not printable."""
    return _checked_text(name, "a key name", MAX_KEY_NAME_CHARS,
                         "give the key a name (who or what uses it)")


def _checked_text(value: str, what: str, max_chars: int, when_empty: str) -> str:
    if not value.strip():
        raise ValueError(when_empty)
    if len(value) > max_chars:
        raise ValueError(f"{what} holds at most {max_chars} characters, not {len(value)}")
    if not value.isprintable():
        raise ValueError(f"{value!r}: {what} may not hold control characters")
    return value


class KeyRing:
    """Issues, checks and revokes API keys. Successful lookups may be cached for
    `cache_ttl_s` per process (a revoked key keeps working for at most that long)."""

    def __init__(self, sessions: sessionmaker[Session], cache_ttl_s: float = 0.0) -> None:
        self._sessions, self._cache_ttl_s = sessions, cache_ttl_s
        self._cache: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._lock = threading.Lock()

    def issue(self, name: str, scopes: Sequence[str], tenant_id: str | None = None,
              api_key: str | None = None, expires_at: datetime | None = None) -> IssuedKey:
        """Create a key. Raises ValueError on bad scopes, a bad name, or a tenant a key of
        these scopes may not join (`checked_tenant_id`)."""
        granted = checked_scopes(scopes)
        name = checked_key_name(name)
        if tenant_id is not None:
            tenant_id = checked_tenant_id(tenant_id, granted)
        if OPERATOR in granted:
            tenant_id = tenant_id or OPERATOR_TENANT
        api_key = api_key or KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(id=uuid.uuid4().hex, tenant_id=tenant_id or uuid.uuid4().hex,
                     name=name, key_hash=hash_key(api_key), prefix=api_key[:10],
                     scopes=granted, webhook_secret=new_webhook_secret(),
                     retired_webhook_secrets=[], expires_at=expires_at)
        with transaction(self._sessions) as session:
            session.add(row)
        return IssuedKey(row.id, row.tenant_id, api_key, row.webhook_secret, tuple(granted))

    def cached(self, api_key: str) -> Principal | None:
        """The key's principal if a recent `authenticate` found it (no database read)."""
        if self._cache_ttl_s <= 0:
            return None
        with self._lock:
            hit = self._cache.get(hash_key(api_key))
        if hit is None or time.monotonic() - hit[0] >= self._cache_ttl_s:
            return None
        if hit[2] is not None and hit[2] <= utcnow():
            return None
        return hit[1]

    def authenticate(self, api_key: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or expired key."""
        if (principal := self.cached(api_key)) is not None:
            return principal
        digest = hash_key(api_key)
        found = self._lookup(digest)
        if found is not None and self._cache_ttl_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (time.monotonic(), *found)
        return found[0] if found else None

    def _lookup(self, digest: str) -> tuple[Principal, datetime | None] | None:
        now = utcnow()
        with transaction(self._sessions) as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest,
                                                      ApiKey.revoked_at.is_(None)))
            if row is None or (row.expires_at is not None and row.expires_at <= now):
                return None
            if row.last_used_at is None or \
                    row.last_used_at < now - timedelta(seconds=LAST_USED_RESOLUTION_S):
                row.last_used_at = now
            return (Principal(row.id, row.tenant_id, frozenset(row.scopes), row.webhook_secret),
                    row.expires_at)

    def inactive(self, key_ids: Collection[str]) -> set[str]:
        """Of these keys, the ones no request may use now: revoked, expired or gone (an
        event stream opened with one ends: `api.events.HeldAnswers`). One read, uncached."""
        if not key_ids:
            return set()
        now = utcnow()
        with transaction(self._sessions) as session:
            usable = set(session.scalars(
                select(ApiKey.id).where(ApiKey.id.in_(list(key_ids)),
                                        ApiKey.revoked_at.is_(None),
                                        (ApiKey.expires_at.is_(None)) |
                                        (ApiKey.expires_at > now))))
        return set(key_ids) - usable

    def list(self, tenant_id: str | None) -> list[KeyView]:
        """The tenant's keys, newest first (None: every key, for operators)."""
        query = select(ApiKey).order_by(ApiKey.created_at.desc())
        if tenant_id is not None:
            query = query.where(ApiKey.tenant_id == tenant_id)
        with transaction(self._sessions) as session:
            return [KeyView.of(row) for row in session.scalars(query)]

    def revoke(self, key_id: str, tenant_id: str | None = None) -> KeyView:
        """Revoke a key at once (idempotent). `tenant_id` limits it to that tenant's keys
        (None: any key, for operators and the command line). Raises KeyNotFound."""
        with transaction(self._sessions) as session:
            row = session.get(ApiKey, key_id)
            if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
                raise KeyNotFound(key_id)
            session.execute(update(ApiKey).where(ApiKey.id == key_id,
                                                 ApiKey.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))
            session.refresh(row)
            view = KeyView.of(row)
        with self._lock:
            self._cache = {digest: hit for digest, hit in self._cache.items()
                           if hit[1].key_id != key_id}
        return view

    def rotate_webhook_secret(self, key_id: str, overlap_s: float) -> Rotation:
        """A new signing secret. The replaced one keeps signing beside it until the returned
        time; secrets replaced by earlier rotations keep their own overlap, at most
        `MAX_RETIRED_SECRETS` of them: a rotation beyond ends the oldest one's overlap at
        once, and says how many it ended (`ended_early`). Raises KeyNotFound.

        Rotations of one key at the same time take turns: each writes only over the secret
        it read (compare and set), and one that finds it replaced reads again. SQLite has
        no row locks, and two rotations at once each answered a secret while one of them
        was lost, never signing anything."""
        secret = new_webhook_secret()
        while True:
            now = utcnow()
            until = now + timedelta(seconds=overlap_s)
            with transaction(self._sessions) as session:
                row = session.execute(
                    select(ApiKey.webhook_secret, ApiKey.retired_webhook_secrets)
                    .where(ApiKey.id == key_id).with_for_update()).one_or_none()
                if row is None:
                    raise KeyNotFound(key_id)
                replaced, earlier = row
                still_signing = [retired for retired in earlier or []
                                 if datetime.fromisoformat(retired["expires_at"]) > now]
                retired = [{"secret": replaced, "expires_at": until.isoformat()},
                           *still_signing]
                kept = retired[:MAX_RETIRED_SECRETS]
                written = session.execute(
                    update(ApiKey).where(ApiKey.id == key_id,
                                         ApiKey.webhook_secret == replaced)
                    .values(webhook_secret=secret, retired_webhook_secrets=kept))
            if written.rowcount == 1:  # type: ignore[attr-defined]
                return Rotation(secret, until, len(retired) - len(kept))
