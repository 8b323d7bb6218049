"""Acceptance 6 (import a folder of images) and 7 (MultiPose keeps person ids)."""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path
from tests.frontend.browser import OfflinePage, chromium, fake_camera_file, offline_page
from tests.frontend.conftest import Backend
from tests.frontend.test_capture import stop_and_wait_stored, wait_for_detection
from tests.processes import wait_until

pytestmark = pytest.mark.slow


def yoga_folder(target: Path) -> dict[str, str]:
    """The five yoga samples sorted into a folder per pose (as a user's dataset would be)."""
    labels = {}
    for image in sorted(shared_path("media", "yoga_train_samples").glob("*.jpg")):
        label = re.match(r"[a-z0-9]+_([a-z]+)", image.stem).group(1)  # girl2_chair080 -> chair
        (target / label).mkdir(parents=True, exist_ok=True)
        shutil.copy(image, target / label / image.name)
        labels[image.name] = label
    return labels


def check_session_report(page: OfflinePage, *, frames: int, detector: str) -> None:
    """Issue 5, acceptance 4: the open session shows its report, and the angle plot loads."""
    page.page.get_by_test_id("session-report").get_by_role("button", name="Refresh").click()
    wait_until(
        lambda: page.page.get_by_test_id("report-frames").all_text_contents() == [str(frames)],
        timeout=30,
        what=f"the report counting {frames} frames",
    )
    assert page.page.get_by_test_id("report-detector").inner_text().startswith(detector)
    assert float(page.page.get_by_test_id("report-confidence").inner_text()) > 0.3
    for plot in ("report-angles-plot", "report-timeline-plot"):
        image = page.page.get_by_test_id(plot)
        image.wait_for(timeout=30_000)
        wait_until(
            lambda image=image: image.evaluate("img => img.complete && img.naturalWidth > 0"),
            timeout=10,
            what=f"{plot} decoded",
        )


def test_import_of_an_image_folder_makes_a_session_of_labelled_frames(
    backend: Backend, tmp_path: Path
) -> None:
    labels = yoga_folder(tmp_path / "yoga")
    assert len(labels) == 5
    with chromium(camera=None) as browser, offline_page(browser, backend.base_url) as page:
        # No camera here: the page says so, and import still works.
        page.page.get_by_test_id("camera-error").wait_for(timeout=30_000)
        assert "camera" in page.page.get_by_test_id("camera-error").inner_text().lower()
        wait_until(
            lambda: "ready" in page.page.get_by_test_id("detector-status").inner_text(),
            timeout=90,
            what="the pose model loaded",
        )
        page.page.get_by_test_id("import-folder").set_input_files(tmp_path / "yoga")
        page.page.get_by_test_id("import-run").click()
        result = page.page.get_by_test_id("import-result")
        result.wait_for(timeout=90_000)
        page.screenshot("import-yoga")
        session_id = result.get_attribute("data-session")
        assert result.get_attribute("data-frames") == "5"
        # The sessions page opens it (with the token this browser kept) and counts its frames.
        result.get_by_role("link").click()
        wait_until(
            lambda: page.page.get_by_test_id("session-frames").all_text_contents() == ["5"],
            timeout=30,
            what="the sessions page showing five frames",
        )
        check_session_report(page, frames=5, detector="movenet-lightning")
        assert page.page.get_by_test_id("report-reps-squat").inner_text() == "0"
        page.screenshot("session-detail")
        assert page.blocked == []

    wait_until(
        lambda: (
            backend.query("SELECT count(*) FROM frames WHERE session_id = %s", session_id)[0][0]
            >= 5
        ),
        timeout=30,
        what="five imported frames in PostgreSQL",
    )
    rows = backend.query(
        "SELECT label, width, height, detector, keypoints FROM frames WHERE session_id = %s",
        session_id,
    )
    assert sorted(row[0] for row in rows) == sorted(labels.values())
    assert {(row[1], row[2], row[3]) for row in rows} == {(300, 300, "movenet-lightning")}
    for row in rows:
        keypoints = np.asarray(row[4]).reshape(17, 3)
        assert (keypoints[:, 2] >= 0.3).sum() >= 8, f"{row[0]}: a person found"
    name = backend.query("SELECT name FROM sessions WHERE id = %s", session_id)[0][0]
    assert name == "import yoga"


@pytest.fixture(scope="module")
def three_people_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    image = shared_path("media", "shared_test_data_three_people.jpg")
    target = tmp_path_factory.mktemp("camera") / "three.mjpeg"
    return fake_camera_file(image, target, filters="fps=30,scale=trunc(iw/2)*2:trunc(ih/2)*2")


def test_multipose_streams_three_people_with_stable_ids(
    backend: Backend, three_people_camera: Path
) -> None:
    with (
        chromium(three_people_camera) as browser,
        offline_page(browser, backend.base_url) as page,
    ):
        page.page.get_by_test_id("detector-picker").select_option("movenet-multipose")
        wait_for_detection(page, "movenet-multipose")
        page.page.get_by_test_id("start-streaming").click()
        wait_until(
            lambda: page.stats().get("nextSeq", 0) >= 15,
            timeout=90,
            what=f"15 instants streamed (stats: {page.stats()})",
        )
        page.screenshot("multipose-three-people")
        session_id = stop_and_wait_stored(page, backend)
        assert page.blocked == []

    rows = backend.query(
        "SELECT seq, person, keypoints FROM frames WHERE session_id = %s ORDER BY seq, person",
        session_id,
    )
    by_seq: dict[int, dict[int, np.ndarray]] = {}
    for seq, person, keypoints in rows:
        points = np.asarray(keypoints).reshape(17, 3)
        seen = points[points[:, 2] >= 0.3, :2]
        by_seq.setdefault(seq, {})[person] = seen.mean(axis=0) if len(seen) else None
    seqs = sorted(by_seq)
    assert len(seqs) >= 15
    three = [seq for seq in seqs if len(by_seq[seq]) == 3]
    assert len(three) >= 0.9 * len(seqs), {seq: sorted(by_seq[seq]) for seq in seqs}
    assert {tuple(sorted(by_seq[seq])) for seq in three} == {(0, 1, 2)}
    # The same person keeps the same id: each id's centre stays put on the still picture.
    for earlier, later in itertools.pairwise(three):
        for person in (0, 1, 2):
            a, b = by_seq[earlier][person], by_seq[later][person]
            assert a is not None and b is not None
            assert np.linalg.norm(a - b) < 50, f"person {person} moved from {a} to {b}"
