"""Token and origin rules, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pose_common.sessions import hash_token, parse_session_id
from pose_common.settings import DEV_ADMIN_TOKEN
from pose_ingest.access import bearer_token, may_access, origin_allowed
from pose_ingest.session_store import SessionRecord
from pose_ingest.settings import IngestSettings

SECRET = "a-long-enough-admin-secret"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_a_token_reaches_its_own_session_and_the_admin_token_all() -> None:
    settings = IngestSettings(admin_token=SECRET)
    record = SessionRecord("id", "yoga", "", hash_token("mine"), datetime.now(UTC))
    assert may_access("mine", record, settings)
    assert may_access(SECRET, record, settings)
    assert not may_access("theirs", record, settings)
    assert not may_access("", record, settings)


@pytest.mark.parametrize(
    ("env", "origins", "origin", "allowed"),
    [
        ("dev", [], "http://anything.example", True),
        ("prod", ["*"], "http://anything.example", True),
        ("prod", ["https://app.example"], "https://app.example", True),
        ("prod", ["https://app.example"], "https://app.example/", True),
        ("prod", ["https://app.example"], "https://evil.example", False),
        ("dev", ["https://app.example"], "https://evil.example", False),
        ("prod", [], "https://ingest.example", True),  # same host as the server
        ("prod", [], "https://evil.example", False),
        ("prod", ["https://app.example"], None, True),  # not a browser
    ],
)
def test_origin_allowed(env: str, origins: list[str], origin: str | None, allowed: bool) -> None:
    settings = IngestSettings(env=env, admin_token=SECRET, ingest_cors_origins=origins)
    assert origin_allowed(origin, host="ingest.example", settings=settings) is allowed


def test_origins_come_from_a_comma_separated_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSE_INGEST_CORS_ORIGINS", "https://a.example, https://b.example/")
    monkeypatch.setenv("POSE_INGEST_PORT", "8123")
    settings = IngestSettings()
    assert settings.ingest_cors_origins == ["https://a.example", "https://b.example"]
    assert settings.ingest_port == 8123


@pytest.mark.parametrize("env", ["test", "prod"])
def test_outside_dev_mode_the_default_or_a_short_admin_token_is_refused(env: str) -> None:
    with pytest.raises(ValueError, match=f"POSE_ADMIN_TOKEN must be set .*POSE_ENV={env}"):
        IngestSettings(env=env)
    with pytest.raises(ValueError, match="at least 16 characters"):
        IngestSettings(env=env, admin_token="short")
    assert IngestSettings(env=env, admin_token=SECRET).admin_token == SECRET


def test_dev_mode_accepts_the_default_admin_token() -> None:
    assert IngestSettings(env="dev").admin_token == DEV_ADMIN_TOKEN


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("0E9B8C6A-1B2C-4D3E-8F00-112233445566", "0e9b8c6a-1b2c-4d3e-8f00-112233445566"),
        ("not-a-uuid", None),
        ("x" * 100, None),
        ("", None),
    ],
)
def test_parse_session_id(value: str, parsed: str | None) -> None:
    assert parse_session_id(value) == parsed
