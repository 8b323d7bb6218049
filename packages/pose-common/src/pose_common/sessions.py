"""Capture-session tokens and ids: issued once, stored only as a hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

TOKEN_BYTES = 32


def new_session_token() -> str:
    """A fresh URL-safe bearer token (shown to the client once, never stored)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The sha256 hex digest stored in sessions.token_hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, token_hash: str) -> bool:
    """Whether token hashes to token_hash (constant time, so timing reveals nothing)."""
    if not token:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def secret_matches(given: str | None, secret: str) -> bool:
    """Constant-time comparison of a presented secret (e.g. the admin token) with the real one."""
    if not given or not secret:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())


def new_session_id() -> str:
    return str(uuid.uuid4())


def parse_session_id(value: str) -> str | None:
    """The canonical form of a session id, or None when it is not a UUID at all."""
    if len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
