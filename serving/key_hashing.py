"""API keys at rest: salted scrypt hashes, so a leaked settings file does not leak working keys.

Format ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in URL-safe base64), cost parameters
kept in the string so they can be raised later without breaking older entries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# scrypt cost: 4 MiB of memory per verification (keys are 256-bit random, so the hash needs to be
# one-way, not slow against guessing); a verified key is then cached per process.
_N, _R, _P = 2**12, 8, 1
_SALT_BYTES, _HASH_BYTES = 16, 32


def new_key() -> str:
    """A fresh random API key (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The settings entry for ``key``: scrypt with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(key, salt, _N, _R, _P)
    return "$".join((SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(digest)))


def parse_hash(encoded: str) -> tuple[bytes, int, int, int, bytes]:
    """(salt, n, r, p, hash) of an entry; ValueError naming the setting when it is malformed."""
    parts = encoded.split("$")
    try:
        if len(parts) != 6 or parts[0] != SCHEME:
            raise ValueError
        n, r, p = (int(x) for x in parts[1:4])
        return _unb64(parts[4]), n, r, p, _unb64(parts[5])
    except ValueError:
        raise ValueError(
            "api_keys: a key's hash must read 'scrypt$<n>$<r>$<p>$<salt>$<hash>' "
            "(as printed by 'backorder keys add')"
        ) from None


def verify_key(key: str, parsed: tuple[bytes, int, int, int, bytes]) -> bool:
    """Whether ``key`` hashes to ``parsed`` (constant-time comparison)."""
    salt, n, r, p, expected = parsed
    return hmac.compare_digest(_scrypt(key, salt, n, r, p, len(expected)), expected)


def _scrypt(key: str, salt: bytes, n: int, r: int, p: int, length: int = _HASH_BYTES) -> bytes:
    return hashlib.scrypt(key.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=length)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
