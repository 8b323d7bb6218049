"""Batch validation without any server: reasons name the field, types are strict."""

from __future__ import annotations

import json

import pytest

from pose_ingest.validation import (
    BatchRejected,
    format_location,
    truncate_utf8,
    validate_batch,
)
from tests.factories import batch


def reason_for(body: dict | str) -> BatchRejected:
    raw = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(BatchRejected) as caught:
        validate_batch(raw.encode())
    return caught.value


def test_valid_batch_keeps_the_raw_body_and_reports_seq_range() -> None:
    raw = json.dumps(batch(10, 30)).encode()
    accepted = validate_batch(raw)
    assert accepted.body is raw
    assert (accepted.first_seq, accepted.last_seq, accepted.count) == (10, 39, 30)


def test_text_messages_are_accepted_as_utf8() -> None:
    text = json.dumps(batch(0, 2))
    accepted = validate_batch(text)
    assert accepted.body == text.encode()


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(token: str) -> None:
    body = batch(0, 1)
    body["frames"][0]["keypoints"][5][0] = 42.25
    raw = json.dumps(body).replace("42.25", token, 1)
    rejected = reason_for(raw)
    assert rejected.reason.startswith("frames[0].keypoints[5][0]: must be a finite number")
    assert not rejected.malformed_json


def test_non_finite_capture_time_is_refused() -> None:
    raw = json.dumps(batch(0, 1)).replace('"t": ', '"t": NaN, "x": ', 1)
    assert "frames[0].t: must be a finite number" in reason_for(raw).reason


def test_only_the_first_error_is_spelled_out() -> None:
    body = batch(0, 3)
    for frame in body["frames"]:
        frame["keypoints"] = frame["keypoints"][:10]
    assert reason_for(body).reason == (
        "frames[0].keypoints: expected 17 keypoints, got 10 (and 2 more)"
    )


def test_keypoint_with_four_values() -> None:
    body = batch(0, 1)
    body["frames"][0]["keypoints"][2].append(0.5)
    assert reason_for(body).reason == (
        "frames[0].keypoints[2]: a keypoint is [x, y, score], got 4 values"
    )


def test_missing_field_and_bad_detector() -> None:
    body = batch(0, 1)
    del body["width"]
    assert reason_for(body).reason == "width: required field is missing"
    body = batch(0, 1)
    body["detector"]["name"] = ""
    assert reason_for(body).reason.startswith("detector.name: ")


def test_person_out_of_range_names_the_bound() -> None:
    body = batch(0, 1, person=300)
    assert reason_for(body).reason == "frames[0].person: must be <= 255, got 300"


@pytest.mark.parametrize("value", [5.0, "5", True])
def test_types_are_strict_since_the_body_is_published_as_is(value: object) -> None:
    body = batch(0, 1)
    body["frames"][0]["seq"] = value
    assert reason_for(body).reason.startswith("frames[0].seq: ")


def test_malformed_json_is_flagged_as_such() -> None:
    rejected = reason_for("{")
    assert rejected.malformed_json
    assert rejected.reason.startswith("malformed JSON: ")
    assert rejected.metric_reason == "malformed_json"


def test_labels_are_normalised_in_the_published_body() -> None:
    accepted = validate_batch(json.dumps(batch(0, 2, label=" tree ")))
    assert [f["label"] for f in json.loads(accepted.body)["frames"]] == ["tree", "tree"]


def test_format_location() -> None:
    assert format_location(("frames", 3, "keypoints", 0, 2)) == "frames[3].keypoints[0][2]"
    assert format_location(("detector", "name")) == "detector.name"
    assert format_location(()) == ""


def test_truncate_utf8_never_splits_a_character() -> None:
    text = "é" * 100
    cut = truncate_utf8(text, 123)
    assert len(cut.encode()) <= 123
    assert cut == "é" * 61
    assert truncate_utf8("short") == "short"
