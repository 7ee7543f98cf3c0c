"""The READMEs' benchmark tables are generated from the published results files: a table
edited by hand, or results published without regenerating the tables, fails here."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def load_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", BENCHMARKS / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_generated_readme_table_matches_the_published_results() -> None:
    report = load_report()
    for (readme, name), text in report.blocks().items():
        shown = report.block_in(readme.read_text(), name)
        assert shown == report.marked(name, text), (
            f"{readme.name}'s {name} is not what the published results give: "
            "run integration/benchmarks/report.py --publish"
        )


def test_the_published_run_covers_every_family_over_at_least_five_rounds() -> None:
    data = json.loads((BENCHMARKS / "published-results.json").read_text())
    assert data["rounds"] >= 5
    families = {setup["family"] for setup in data["setups"]}
    assert families == {"flask", "fastapi", "plain", "batch"}
    for key, samples in data["samples"].items():
        assert len(samples) == data["rounds"], key
        # Measured with the servers' full collections written down (collections_log.py).
        assert all(s["max_outside_collections_ms"] is not None for s in samples), key
    drills = json.loads((BENCHMARKS / "published-drills.json").read_text())
    modes = {drill["mode"] for drill in drills["drills"]}
    assert {"refuse", "blackhole", "slow", "500", "429"} <= modes
