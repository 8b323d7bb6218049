"""The Sessions page (#/sessions) lists every session with the admin token, the same token the
Models page keeps: entered once on either page, it is used by both, in a new tab as well."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import TEST_ADMIN_TOKEN
from tests.frontend.browser import chromium, offline_page
from tests.frontend.conftest import CLASSIFIER, Backend
from tests.processes import wait_until

pytestmark = pytest.mark.slow


def _session_made_elsewhere(backend: Backend) -> str:
    """A session another client created: this browser holds no token for it."""
    reply = httpx.post(
        f"{backend.base_url}/v1/sessions",
        json={"model": CLASSIFIER, "name": "made elsewhere"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def test_the_token_entered_on_the_models_page_lists_every_session(backend: Backend) -> None:
    session_id = _session_made_elsewhere(backend)
    with chromium(camera=None) as browser, offline_page(browser, backend.base_url) as page:
        p = page.page
        p.goto(f"{backend.base_url}/#/models")
        p.get_by_test_id("admin-token-input").fill(TEST_ADMIN_TOKEN)
        p.get_by_test_id("admin-token-save").click()
        p.get_by_test_id("model-tab-yoga").wait_for(timeout=30_000)

        # A new tab of the same browser: the Sessions page already has the token.
        other = p.context.new_page()
        other.goto(f"{backend.base_url}/#/sessions")
        field = other.get_by_test_id("admin-token-input")
        field.wait_for(timeout=30_000)
        assert field.input_value() == TEST_ADMIN_TOKEN
        assert session_id[:8] not in other.get_by_test_id("session-list").inner_text()
        other.get_by_role("button", name="List all sessions").click()
        wait_until(
            lambda: session_id[:8] in other.get_by_test_id("session-list").inner_text(),
            timeout=15,
            what="the other client's session in the list",
        )
        assert "made elsewhere" in other.get_by_test_id("session-list").inner_text()

        # A wrong token says so and lists nothing more; it is what both pages now use.
        field.fill("not-the-token")
        other.get_by_role("button", name="List all sessions").click()
        other.get_by_test_id("sessions-error").wait_for(timeout=15_000)
        assert other.evaluate("localStorage.getItem('posestream.adminToken')") == "not-the-token"
        assert not page.blocked, page.blocked
