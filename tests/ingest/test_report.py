"""Report API: JSON summary, PNG/SVG plots (acceptance 4), comparison, access and bad input."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from typing import Any

import matplotlib.image
import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from pose_ml.analysis.synthetic import synthetic_recording
from tests.ingest.conftest import ADMIN_TOKEN, auth, create_session
from tests.ml.analysis.recordings import SQUAT_CLIP_SIZE, squat_clip, store_recording

Session = dict[str, Any]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def store(
    database_url: str, session: Session, times: np.ndarray, keypoints: np.ndarray, **kwargs: Any
) -> None:
    with psycopg.connect(database_url) as conn:
        store_recording(conn, session_id=session["id"], times=times, keypoints=keypoints, **kwargs)


def store_predictions(database_url: str, session: Session, labels: list[str]) -> None:
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO predictions (session_id, seq, person, model, version, label, probability,"
            " probabilities, latency_ms) VALUES (%s, %s, 0, %s, 1, %s, 0.8, %s, 2.0)",
            [
                (session["id"], seq, session["model"], label, Jsonb({label: 0.8}))
                for seq, label in enumerate(labels)
            ],
        )


@pytest.fixture
def squats(client: TestClient, session: Session, database_url: str) -> Session:
    """The session holding the BlazePose squat clip (../shared) and a class per frame."""
    times, keypoints = squat_clip()
    store(database_url, session, times, keypoints, size=SQUAT_CLIP_SIZE)
    store_predictions(database_url, session, ["stand"] * 5 + ["squat"] * 30 + ["stand"] * 30)
    return session


def test_report_summarises_the_recorded_squats(client: TestClient, squats: Session) -> None:
    response = client.get(f"/v1/sessions/{squats['id']}/report", headers=auth(squats["token"]))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["session_id"] == squats["id"] and report["frames"] == 65
    assert report["duration_s"] == pytest.approx(12.8)
    assert report["detector"] == {"name": "blazepose-full", "version": "1"}
    assert (report["width"], report["height"]) == SQUAT_CLIP_SIZE
    assert report["mean_confidence"] == pytest.approx(1.0)
    squat = report["exercises"]["squat"]
    assert squat["count"] == 2 and squat["partial"] is not None  # see test_squat_clip.py
    assert all(
        {"start_s", "end_s", "duration_s", "depth", "range"} <= rep.keys() for rep in squat["reps"]
    )
    assert (
        80 < report["angles"]["left_knee"]["min"] < 100 < 170 < report["angles"]["left_knee"]["max"]
    )
    segments = report["timeline"]["segments"]
    assert [s["label"] for s in segments] == ["stand", "squat", "stand"]
    assert segments[1]["start_s"] == pytest.approx(1.0)
    assert report["plots"]["angles_png"] == f"/v1/sessions/{squats['id']}/report/angles.png"


def test_the_angle_plot_png_is_a_valid_image(client: TestClient, squats: Session) -> None:
    response = client.get(
        f"/v1/sessions/{squats['id']}/report/angles.png", headers=auth(squats["token"])
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert "angles.png" in response.headers["content-disposition"]
    assert response.content.startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(io.BytesIO(response.content), format="png")
    assert image.shape[0] > 250 and image.shape[1] > 600 and image[..., :3].std() > 0.05


@pytest.mark.parametrize("path", ["angles.svg", "timeline.svg", "timeline.png"])
def test_the_other_plots_render(client: TestClient, squats: Session, path: str) -> None:
    response = client.get(
        f"/v1/sessions/{squats['id']}/report/{path}?angle=left_knee", headers=auth(squats["token"])
    )
    assert response.status_code == 200
    if path.endswith(".svg"):
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert ElementTree.fromstring(response.content).tag.endswith("svg")
    else:
        assert response.content.startswith(PNG_SIGNATURE)


def test_report_choices_and_bad_input(client: TestClient, squats: Session) -> None:
    base, headers = f"/v1/sessions/{squats['id']}", auth(squats["token"])
    only = client.get(f"{base}/report?exercise=squat&smooth=false", headers=headers).json()
    assert list(only["exercises"]) == ["squat"] and only["smoothing"] is None
    unknown = client.get(f"{base}/report?exercise=cartwheel", headers=headers)
    assert unknown.status_code == 422 and "cartwheel" in unknown.json()["detail"]
    bad_angle = client.get(f"{base}/report/angles.png?angle=left_ankle", headers=headers)
    assert bad_angle.status_code == 422 and "left_ankle" in bad_angle.json()["detail"]
    assert client.get(f"{base}/report/angles.gif", headers=headers).status_code == 422
    assert client.get(f"{base}/report?person=999", headers=headers).status_code == 422


def test_report_needs_a_token_that_grants_the_session(client: TestClient, squats: Session) -> None:
    other = create_session(client)
    url = f"/v1/sessions/{squats['id']}/report"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=auth(other["token"])).status_code == 401
    assert client.get(url, headers=auth(ADMIN_TOKEN)).status_code == 200
    assert (
        client.get(
            url.replace(squats["id"], "not-a-session"), headers=auth(ADMIN_TOKEN)
        ).status_code
        == 404
    )
    png = f"/v1/sessions/{squats['id']}/report/angles.png"
    assert client.get(png, headers=auth(other["token"])).status_code == 401


def test_a_session_without_frames_has_an_empty_report(client: TestClient, session: Session) -> None:
    headers = auth(session["token"])
    report = client.get(f"/v1/sessions/{session['id']}/report", headers=headers).json()
    assert report["frames"] == 0 and report["detector"] is None
    assert report["exercises"]["squat"]["count"] == 0
    png = client.get(f"/v1/sessions/{session['id']}/report/angles.png", headers=headers)
    assert png.status_code == 200 and png.content.startswith(PNG_SIGNATURE)


def test_exercises_endpoint_lists_the_definitions(client: TestClient) -> None:
    body = client.get("/v1/exercises").json()
    assert list(body["exercises"]) == ["squat", "push_up", "bicep_curl", "lunge", "jumping_jack"]
    assert body["exercises"]["squat"]["signal"] == {"angle": "knee", "combine": "mean"}


def test_compare_with_a_reference_session(client: TestClient, database_url: str) -> None:
    mine, reference = create_session(client), create_session(client)
    times, keypoints = synthetic_recording("squat", reps=3, period_s=2.0)
    store(database_url, mine, times, keypoints)
    times, keypoints = synthetic_recording("squat", reps=3, period_s=3.0)
    store(database_url, reference, times, keypoints)
    url = f"/v1/sessions/{mine['id']}/compare?reference={reference['id']}"
    # The session's own token does not grant the reference: it needs the reference's token.
    assert client.get(url, headers=auth(mine["token"])).status_code == 401
    headers = {**auth(mine["token"]), "X-Reference-Token": reference["token"]}
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reference_id"] == reference["id"]
    assert max(body["mean_abs_diff"].values()) < 3.0  # the same squat at another tempo
    assert body["worst"] and {"session_s", "reference_s", "joint"} <= body["worst"][0].keys()
    assert client.get(url, headers=auth(ADMIN_TOKEN)).status_code == 200
    one_rep = client.get(
        url + "&start_s=0.5&end_s=3.5&reference_start_s=0.5&reference_end_s=4.5"
        "&joint=left_knee&joint=right_knee",
        headers=auth(ADMIN_TOKEN),
    )
    assert one_rep.status_code == 200 and one_rep.json()["joints"] == ["left_knee", "right_knee"]
    empty_window = client.get(url + "&start_s=500", headers=auth(ADMIN_TOKEN))
    assert empty_window.status_code == 422 and "need frames" in empty_window.json()["detail"]
    missing = client.get(f"/v1/sessions/{mine['id']}/compare", headers=auth(ADMIN_TOKEN))
    assert missing.status_code == 422
