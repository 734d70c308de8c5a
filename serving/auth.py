"""API keys with roles in ``Authorization: Bearer <key>``: 401 without a valid key, 403 wrong role.

Keys come from ``settings.api_keys`` (key -> roles). The development key ``dev-key`` (all roles)
is accepted only in the embedded profile, with a warning; settings with a production profile that
allows it do not load (``settings.model``), so a forgotten setting cannot open a real deployment.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

ROLES = ("oms", "erp", "planner", "admin")
DEV_KEY = "dev-key"


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Caller:
    """Who made a request: ``key_id`` names the key without revealing it (its SHA-256, hex)."""

    key_id: str
    roles: frozenset[str]


class KeyRing:
    """Role lookup by key; keys are kept as SHA-256 digests and compared in constant time."""

    def __init__(self, keys: Mapping[str, Sequence[str]]) -> None:
        self._roles: dict[bytes, frozenset[str]] = {}
        for key, roles in keys.items():
            unknown = sorted(set(roles) - set(ROLES))
            if unknown:
                raise ValueError(f"api_keys: unknown role(s) {unknown}; expected some of {ROLES}")
            if not key:
                raise ValueError("api_keys: empty key")
            self._roles[_digest(key)] = frozenset(roles)

    @classmethod
    def from_settings(cls, api_keys: Mapping[str, Sequence[str]], allow_dev_key: bool):
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
        roles = next((r for d, r in self._roles.items() if hmac.compare_digest(d, digest)), None)
        if roles is None:
            raise AuthError(401, "invalid API key")
        if roles.isdisjoint(allowed):
            wanted = " or ".join(map(repr, allowed))
            raise AuthError(403, f"this key lacks the {wanted} role (it has {sorted(roles)})")
        return Caller(key_id=digest.hex(), roles=roles)


@functools.cache
def warn_dev_key_accepted() -> None:
    """Warn that the development key is accepted, once per process however often keys reload."""
    logger.warning("accepting the development API key %r with all roles", DEV_KEY)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
