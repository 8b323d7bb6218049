"""`make bench`: every benchmark, each beside its raw baseline measured in the same run.

uv run python bench/run.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench import analysis, browser, ingest, workers
from bench.environment import bench_env
from bench.results import Report

BENCHMARKS = {
    "ingest_ws": ingest.ingest_websocket,
    "ingest_http": ingest.ingest_http,
    "inference": workers.inference_throughput,
    "inference_temporal": workers.temporal_inference_throughput,
    "exporter": workers.exporter_throughput,
    "latency": ingest.prediction_latency,
    "browser": browser.browser_fps,
    "analysis": analysis.analysis_speed,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args(argv)
    report = Report()
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"[bench] {name}", flush=True)
        with bench_env() as env:
            result = bench(env)
        for figure in result if isinstance(result, list) else [result]:
            report.add(figure)
    print()
    print(report.table())
    print(f"\nwritten: {report.write()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
