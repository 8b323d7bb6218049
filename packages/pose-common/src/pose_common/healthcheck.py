"""Container healthcheck CLI: exit 0 when a worker's heartbeat file (or an HTTP URL) is healthy.

    python -m pose_common.healthcheck /tmp/pose-heartbeat 30      # file touched in the last 30 s
    python -m pose_common.healthcheck http://127.0.0.1:8000/healthz  # URL answers 2xx

Kept free of third-party imports beyond pose_common.health so a healthcheck costs milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from pose_common.health import file_is_fresh


def url_is_healthy(url: str, *, timeout_s: float) -> bool:
    """True when GET url answers with a 2xx status within timeout_s."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def check(*, target: str, max_age_s: float | None, timeout_s: float) -> tuple[bool, str]:
    """Health of one target (heartbeat file or http(s) URL) and a line saying why."""
    if target.startswith(("http://", "https://")):
        healthy = url_is_healthy(target, timeout_s=timeout_s)
        return healthy, f"{target} {'answered 2xx' if healthy else 'did not answer 2xx'}"
    if max_age_s is None:
        raise ValueError("a heartbeat file needs MAX_AGE_S (seconds)")
    healthy = file_is_fresh(Path(target), max_age_s=max_age_s)
    state = "fresh" if healthy else f"missing or older than {max_age_s:g} s"
    return healthy, f"heartbeat {target} {state}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pose_common.healthcheck",
        description="Exit 0 when the heartbeat file is fresh or the URL answers 2xx, else 1.",
    )
    parser.add_argument("target", help="heartbeat file path, or an http(s):// URL")
    parser.add_argument("max_age_s", nargs="?", type=float, help="max heartbeat age (seconds)")
    parser.add_argument("--timeout", type=float, default=3.0, help="HTTP timeout (seconds)")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one check; 0 healthy, 1 unhealthy, 2 bad usage."""
    args = parse_args(argv)
    try:
        healthy, reason = check(
            target=args.target, max_age_s=args.max_age_s, timeout_s=args.timeout
        )
    except ValueError as error:
        print(f"healthcheck: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(reason, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
