"""The benchmark's wait outside full garbage collections: each request's time inside the
server's full collections is taken out before the slowest is chosen."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def measure() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import measure

        return measure
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_a_collection_inside_a_request_is_taken_out_of_its_time(measure: ModuleType) -> None:
    sent, took = [10.0, 11.0, 12.0], [0.002, 0.032, 0.004]
    # A 30 ms collection wholly inside the second request.
    longest, counted = measure.outside_collections(sent, took, [(11.001, 11.031)])
    assert longest == pytest.approx(0.004)
    assert counted == 1


def test_only_the_part_of_a_collection_inside_a_request_is_taken_out(measure: ModuleType) -> None:
    # The collection began 10 ms before the request was sent and ended 5 ms into it.
    longest, _ = measure.outside_collections([20.0], [0.008], [(19.990, 20.005)])
    assert longest == pytest.approx(0.003)


def test_collections_outside_the_measured_requests_are_not_counted(
    measure: ModuleType, tmp_path: Path
) -> None:
    log = tmp_path / "collections.log"
    log.write_text("1.0 1.02\n30.0 30.03\n")
    collections = measure.full_collections(log)
    assert collections == [(1.0, 1.02), (30.0, 30.03)]
    longest, counted = measure.outside_collections([10.0, 11.0], [0.002, 0.003], collections)
    assert (longest, counted) == (pytest.approx(0.003), 0)
    assert measure.full_collections(tmp_path / "never written.log") == []
