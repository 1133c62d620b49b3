"""API keys: random bearer tokens stored as SHA-256 hashes, with scopes and a webhook secret.

Keys carry 256 bits of randomness, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.models import ApiKey, utcnow

SCOPES: frozenset[str] = frozenset({"search", "generate", "training", "admin"})
KEY_PREFIX = "fk_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant whose jobs they may see, and what they may do."""

    key_id: str
    tenant_id: str
    scopes: frozenset[str]
    webhook_secret: str

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    tenant_id: str
    api_key: str
    webhook_secret: str
    scopes: tuple[str, ...]


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class KeyRing:
    """Issues and checks API keys. Successful lookups may be cached for `cache_ttl_s`
    (a revoked key then keeps working for at most that long)."""

    def __init__(self, sessions: sessionmaker[Session], cache_ttl_s: float = 0.0) -> None:
        self._sessions, self._cache_ttl_s = sessions, cache_ttl_s
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def issue(self, name: str, scopes: Sequence[str], tenant_id: str | None = None,
              api_key: str | None = None) -> IssuedKey:
        """Create a key. Raises ValueError on an unknown scope."""
        unknown = set(scopes) - SCOPES
        if unknown or not scopes:
            raise ValueError(f"unknown or missing scopes {sorted(unknown)}; "
                             f"choose from {sorted(SCOPES)}")
        api_key = api_key or KEY_PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(id=uuid.uuid4().hex, tenant_id=tenant_id or uuid.uuid4().hex,
                     name=name, key_hash=hash_key(api_key), prefix=api_key[:10],
                     scopes=sorted(set(scopes)), webhook_secret=new_webhook_secret())
        with self._sessions.begin() as session:
            session.add(row)
        return IssuedKey(row.id, row.tenant_id, api_key, row.webhook_secret, tuple(row.scopes))

    def cached(self, api_key: str) -> Principal | None:
        """The key's principal if a recent `authenticate` found it (no database read)."""
        if self._cache_ttl_s <= 0:
            return None
        with self._lock:
            hit = self._cache.get(hash_key(api_key))
        if hit and time.monotonic() - hit[0] < self._cache_ttl_s:
            return hit[1]
        return None

    def authenticate(self, api_key: str) -> Principal | None:
        if (principal := self.cached(api_key)) is not None:
            return principal
        digest = hash_key(api_key)
        principal = self._lookup(digest)
        if principal is not None and self._cache_ttl_s > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (time.monotonic(), principal)
        return principal

    def _lookup(self, digest: str) -> Principal | None:
        with self._sessions() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest,
                                                      ApiKey.revoked_at.is_(None)))
            if row is None:
                return None
            return Principal(row.id, row.tenant_id, frozenset(row.scopes), row.webhook_secret)

    def rotate_webhook_secret(self, key_id: str, overlap_s: float) -> tuple[str, datetime]:
        """A new signing secret; the old one keeps signing too until the returned time."""
        until = utcnow() + timedelta(seconds=overlap_s)
        secret = new_webhook_secret()
        with self._sessions.begin() as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                raise LookupError(key_id)
            row.previous_webhook_secret, row.previous_secret_expires_at = row.webhook_secret, until
            row.webhook_secret = secret
        return secret, until
