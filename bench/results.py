"""Collect benchmark figures, print them as a table and write bench/results/latest.json."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).with_name("results")


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float
    baseline_name: str
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(
            f"  {figure.name}: {figure.value:,.1f} {figure.unit} "
            f"(baseline {figure.baseline_name}: {figure.baseline:,.1f}; ratio {figure.ratio:.3f})",
            flush=True,
        )

    def table(self) -> str:
        head = f"{'benchmark':<34} {'value':>14} {'unit':<10} {'baseline':>14} {'ratio':>7}  target"
        lines = [head, "-" * len(head)]
        for f in self.figures:
            lines.append(
                f"{f.name:<34} {f.value:>14,.1f} {f.unit:<10} {f.baseline:>14,.1f} "
                f"{f.ratio:>7.3f}  {f.target}"
            )
        return "\n".join(lines)

    def write(self, path: Path = RESULTS_DIR / "latest.json") -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            f.name: {
                "value": f.value,
                "unit": f.unit,
                "baseline": f.baseline,
                "ratio": f.ratio,
                "baseline_name": f.baseline_name,
                "target": f.target,
            }
            for f in self.figures
        }
        data["_meta"] = {  # type: ignore[assignment]
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path
