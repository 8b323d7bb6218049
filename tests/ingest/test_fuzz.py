"""Fuzzing the frame schema: whatever arrives, the answer is a 2xx or 4xx, never a 5xx."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pose_ingest.app import create_app
from pose_ingest.settings import IngestSettings
from tests.factories import batch
from tests.ingest.conftest import auth, create_session

ALLOWED = {200, 400, 413, 422}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)


@pytest.fixture
def fuzz_target(ingest_settings: IngestSettings) -> Iterator[tuple[TestClient, str, dict]]:
    with TestClient(create_app(ingest_settings), raise_server_exceptions=False) as client:
        session = create_session(client)
        yield client, f"/v1/sessions/{session['id']}/frames", auth(session["token"])


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every location inside a JSON value (so a mutation can hit any of them)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


VALID = batch(0, 3)
LOCATIONS = [p for p in paths(VALID) if p]


@st.composite
def mutated_batches(draw: st.DrawFn) -> Any:
    """A valid batch with one location replaced by, or stripped of, something random."""
    body = copy.deepcopy(VALID)
    location = draw(st.sampled_from(LOCATIONS))
    parent = body
    for part in location[:-1]:
        parent = parent[part]
    if draw(st.booleans()):
        parent[location[-1]] = draw(json_values)
    elif isinstance(parent, dict):
        del parent[location[-1]]
    else:
        parent.pop(location[-1])
    return body


def send(target: tuple[TestClient, str, dict], content: bytes | str) -> int:
    client, url, headers = target
    return client.post(url, content=content, headers=headers).status_code


@FUZZ
@given(body=mutated_batches())
def test_mutated_batches_never_cause_a_server_error(fuzz_target: Any, body: Any) -> None:
    assert send(fuzz_target, json.dumps(body, allow_nan=True)) in ALLOWED


@FUZZ
@given(body=json_values)
def test_arbitrary_json_never_causes_a_server_error(fuzz_target: Any, body: Any) -> None:
    assert send(fuzz_target, json.dumps(body, allow_nan=True)) in ALLOWED - {200}


@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_never_cause_a_server_error(fuzz_target: Any, raw: bytes | str) -> None:
    assert send(fuzz_target, raw) in ALLOWED - {200}
