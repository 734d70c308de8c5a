"""API keys with roles in ``Authorization: Bearer <key>``: 401 without a valid key, 403 wrong role.

Keys come from ``settings.api_keys``: ``name -> {hash, roles}`` (a salted scrypt hash, see
``serving.key_hashing``), or, in the embedded profile only, ``key -> roles`` in plain text. The
development key ``dev-key`` (all roles) is accepted only in the embedded profile, with a warning;
settings with a production profile that allows it do not load (``settings.model``), so a forgotten
setting cannot open a real deployment.

A hashed key costs one scrypt per configured hash the first time it is presented; the answer is
then cached in memory by the key's SHA-256 (valid and, up to a bound, invalid keys), so a request
does not pay scrypt each time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from serving.key_hashing import parse_hash, verify_key

logger = logging.getLogger(__name__)

ROLES = ("oms", "erp", "planner", "admin")
DEV_KEY = "dev-key"
# How many distinct wrong keys are remembered, so repeating one does not pay scrypt again.
_REJECTED_CACHE_SIZE = 1024


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Caller:
    """Who made a request: ``key_id`` names the key without revealing it (its SHA-256, hex);
    ``name`` is the name a hashed key was configured under (None for a plain-text key)."""

    key_id: str
    roles: frozenset[str]
    name: str | None = None

    @property
    def label(self) -> str:
        """How audit rows name the caller: ``key:<name>``, else ``key:<12 hex digits of the SHA-256>``."""
        return "key:" + (self.name or self.key_id[:12])


@dataclass(frozen=True)
class _Hashed:
    name: str
    parsed: tuple[bytes, int, int, int, bytes]
    roles: frozenset[str]


class KeyRing:
    """Role lookup by key: plain keys as SHA-256 digests compared in constant time, hashed keys
    verified with scrypt once per process and then cached by digest."""

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self._plain: dict[bytes, frozenset[str]] = {}
        self._hashed: list[_Hashed] = []
        for key, entry in keys.items():
            if not key:
                raise ValueError("api_keys: empty key")
            hashed = entry.get("hash") if isinstance(entry, Mapping) else getattr(entry, "hash", None)
            roles = entry.get("roles", []) if isinstance(entry, Mapping) else getattr(entry, "roles", entry)
            unknown = sorted(set(roles) - set(ROLES))
            if unknown:
                raise ValueError(f"api_keys: unknown role(s) {unknown}; expected some of {ROLES}")
            if hashed is None:
                self._plain[_digest(key)] = frozenset(roles)
            else:
                self._hashed.append(_Hashed(key, parse_hash(hashed), frozenset(roles)))
        self._verified: dict[bytes, tuple[str, frozenset[str]]] = {}
        self._rejected: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, api_keys: Mapping[str, Any], allow_dev_key: bool):
        """The configured keys, plus the development key when allowed (embedded profile only:
        the settings refuse it in production)."""
        keys = dict(api_keys)
        if allow_dev_key:
            warn_dev_key_accepted()
            keys[DEV_KEY] = list(ROLES)
        return cls(keys)

    def check(self, authorization: str | None, role: str | Sequence[str]) -> Caller:
        """The caller; AuthError(401) for a missing/unknown key, (403) without ``role`` (or any
        one of several roles)."""
        allowed = (role,) if isinstance(role, str) else tuple(role)
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthError(401, "missing API key: send 'Authorization: Bearer <key>'")
        digest = _digest(key.strip())
        name, roles = self._identify(key.strip(), digest)
        if roles is None:
            raise AuthError(401, "invalid API key")
        if roles.isdisjoint(allowed):
            wanted = " or ".join(map(repr, allowed))
            raise AuthError(403, f"this key lacks the {wanted} role (it has {sorted(roles)})")
        return Caller(key_id=digest.hex(), roles=roles, name=name)

    def answers_at_once(self, authorization: str | None) -> bool:
        """Whether ``check`` needs no scrypt for this header (no hashed keys, or a key seen
        before), so a caller on the event loop can run it there and others on a thread."""
        if not self._hashed:
            return True
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return True
        digest = _digest(key.strip())
        with self._lock:
            return digest in self._verified or digest in self._rejected or digest in self._plain

    def _identify(self, key: str, digest: bytes) -> tuple[str | None, frozenset[str] | None]:
        plain = next((r for d, r in self._plain.items() if hmac.compare_digest(d, digest)), None)
        if plain is not None:
            return None, plain
        with self._lock:
            known = self._verified.get(digest)
            if known is not None:
                return known
            if digest in self._rejected:
                return None, None
        match = next((h for h in self._hashed if verify_key(key, h.parsed)), None)
        with self._lock:
            if match is None:
                self._rejected[digest] = None
                if len(self._rejected) > _REJECTED_CACHE_SIZE:
                    self._rejected.popitem(last=False)
                return None, None
            self._verified[digest] = (match.name, match.roles)
        return match.name, match.roles


@functools.cache
def warn_dev_key_accepted() -> None:
    """Warn that the development key is accepted, once per process however often keys reload."""
    logger.warning("accepting the development API key %r with all roles", DEV_KEY)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
