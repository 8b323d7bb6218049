"""Who may do what: bearer tokens, admin token, browser origins (pure functions, no I/O)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pose_common.sessions import secret_matches, token_matches
from pose_ingest.session_store import SessionRecord
from pose_ingest.settings import IngestSettings


def bearer_token(authorization: str | None) -> str | None:
    """The token of an "Authorization: Bearer <token>" header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_admin(token: str | None, settings: IngestSettings) -> bool:
    return secret_matches(token, settings.admin_token)


def may_access(token: str | None, session: SessionRecord, settings: IngestSettings) -> bool:
    """A session's own token reaches that session only; the admin token reaches all."""
    return token_matches(token, session.token_hash) or is_admin(token, settings)


def origin_allowed(origin: str | None, *, host: str | None, settings: IngestSettings) -> bool:
    """Whether a WebSocket from this browser origin may connect (CORS does not cover them).

    No Origin header means no browser, so no cross-site request to forge.
    """
    if origin is None or settings.allow_any_origin:
        return True
    normalised = origin.rstrip("/")
    if normalised in settings.ingest_cors_origins:
        return True
    # With no list configured (prod), only the page served by this host may connect.
    return not settings.ingest_cors_origins and urlsplit(normalised).netloc == (host or "")
