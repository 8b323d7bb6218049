"""Acceptance 1 from the Python side: run the browser's analysis tests (Vitest) against the
shared vector file, so `pytest` alone shows whether both implementations agree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

FRONTEND = REPO_ROOT / "frontend"
VITEST = FRONTEND / "node_modules" / ".bin" / "vitest"


def test_the_browser_implementation_agrees_with_the_vector_file(tmp_path: Path) -> None:
    if not VITEST.exists() or shutil.which("node") is None:
        pytest.skip("frontend/node_modules is not installed (npm ci in frontend/)")
    # Only the analysis tests, whatever the app's own Vitest config includes.
    config = tmp_path / "vitest.analysis.config.mjs"
    config.write_text(
        "export default {\n"
        "  test: { include: ['src/analysis/**/*.test.ts'], environment: 'node' },\n"
        "};\n"
    )
    result = subprocess.run(
        [str(VITEST), "run", "--config", str(config), "--root", str(FRONTEND)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed" not in result.stdout.lower()
    assert "passed" in result.stdout
