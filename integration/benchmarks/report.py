"""The benchmark's report, made from its results files (results/results.json from bench.py,
results/drills.json from drills.py): every family's table, each round's ratio against the
targets, the batch-size trade-off, the fault drills, and the chart. `--publish` keeps those
files beside this one as published-*.json and regenerates the READMEs' tables from them; a
test checks that the tables still match the published files.

    make bench ARGS="--report [--publish]"   # the report of the last runs, in the bench group
    make bench ARGS=--publish                 # measures every family, then publishes
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
ROOT_README = HERE.parents[1] / "README.md"
BENCH_README = HERE / "README.md"


def published(name: str) -> Path:
    """Where `--publish` keeps results/<name>.json."""
    return HERE / f"published-{name}.json"


@dataclass(frozen=True)
class Sample:
    cpu_us: float
    median_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    spans: int
    logs: int
    # The slowest request with the server's full garbage collections taken out of it, and how
    # many fell among the measured requests (`collections_log.py`); absent in older results.
    max_outside_collections_ms: float | None = None
    full_collections: int | None = None

    def __str__(self) -> str:
        return (
            f"{self.cpu_us:6.0f} µs CPU/request, p99 {self.p99_ms:.2f} ms, "
            f"max {self.max_ms:.1f} ms, {self.spans}/{self.requests} spans, "
            f"{self.logs}/{self.requests} logs"
        )


@dataclass(frozen=True)
class Target:
    """connect-otel's added CPU at most `ratio` of `against`'s in the median round."""

    setup: str
    against: str
    ratio: float
    every_round_at_most: float | None = None
    # The longest wait a request sees (mostly behind an export) at most this, in ms: half of
    # what was published before Connect wrote its own OTLP encoding.
    longest_wait_at_most_ms: float | None = None
    wait_at_most_against: bool = True


TITLES = {"flask": "Flask", "fastapi": "FastAPI", "plain": "Plain"}
TARGETS = {
    "flask": Target("connect", "sdk", 0.60, longest_wait_at_most_ms=10.8 / 2),
    "fastapi": Target("fastapi-connect", "fastapi-sdk", 0.55, longest_wait_at_most_ms=39.3 / 2),
    "plain": Target(
        "plain-connect",
        "plain-reference",
        0.90,
        every_round_at_most=1.0,
        longest_wait_at_most_ms=16.2 / 2,
        wait_at_most_against=False,
    ),
}


class Results:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.setups: list[dict[str, Any]] = data["setups"]
        self.samples = {
            key: [Sample(**sample) for sample in values] for key, values in data["samples"].items()
        }

    def family(self, family: str) -> list[dict[str, Any]]:
        return [s for s in self.setups if s["family"] == family and self.samples.get(s["key"])]

    def median(self, setup: str, attribute: str) -> float:
        return statistics.median(getattr(s, attribute) for s in self.samples[setup])

    def added(self, setup: str, bare: str) -> float:
        return self.median(setup, "cpu_us") - self.median(bare, "cpu_us")

    def added_ratios(self, setup: str, against: str, bare: str) -> list[float]:
        """Each round's added CPU of `setup` as a fraction of `against`'s, over its bare."""
        return [
            (mine.cpu_us - base.cpu_us) / (theirs.cpu_us - base.cpu_us)
            for mine, theirs, base in zip(
                self.samples[setup], self.samples[against], self.samples[bare], strict=True
            )
        ]

    def longest_wait(self, setup: str) -> float:
        """How long a request was held up at worst: the slowest request less the median one,
        the largest over rounds."""
        return max(s.max_ms - s.median_ms for s in self.samples[setup])

    def longest_wait_outside_collections(self, setup: str) -> float | None:
        """The longest wait with the server's full garbage collections taken out of it; None
        for results measured before they were recorded."""
        waits = [
            s.max_outside_collections_ms - s.median_ms
            for s in self.samples[setup]
            if s.max_outside_collections_ms is not None
        ]
        return max(waits) if waits else None

    def full_collections(self, setup: str) -> int | None:
        """Full collections among the measured requests, over every round."""
        counts = [s.full_collections for s in self.samples[setup]]
        return None if None in counts else sum(c for c in counts if c is not None)


def family_table(results: Results, family: str) -> str:
    setups = results.family(family)
    bare = setups[0]["key"]
    bare_p99 = results.median(bare, "p99_ms")
    rows = [
        "| set-up | CPU µs/request | added CPU µs | median ms | p99 ms | p99 ratio to bare "
        "| longest wait ms | outside full collections ms | full collections "
        "| spans / requests | logs / requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for setup in setups:
        key = setup["key"]
        last = results.samples[key][-1]
        outside = results.longest_wait_outside_collections(key)
        collections = results.full_collections(key)
        rows.append(
            f"| {setup['label']} | {results.median(key, 'cpu_us'):.0f} "
            f"| {results.added(key, bare):.0f} | {results.median(key, 'median_ms'):.2f} "
            f"| {results.median(key, 'p99_ms'):.2f} "
            f"| {results.median(key, 'p99_ms') / bare_p99:.2f} | {results.longest_wait(key):.1f} "
            f"| {'—' if outside is None else f'{outside:.1f}'} "
            f"| {'—' if collections is None else collections} "
            f"| {last.spans} / {last.requests} | {last.logs} / {last.requests} |"
        )
    return "\n".join(rows)


def verdict(results: Results, family: str) -> str:
    target = TARGETS[family]
    if not (results.samples.get(target.setup) and results.samples.get(target.against)):
        return ""
    labels = {s["key"]: s["label"] for s in results.setups}
    bare = results.family(family)[0]["key"]
    ratios = results.added_ratios(target.setup, target.against, bare)
    median = statistics.median(ratios)
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    lines = [
        f"{TITLES[family]}: {labels[target.setup]}'s added CPU is {median:.2f} of "
        f"{labels[target.against]}'s "
        f"(median of {len(ratios)} rounds; each round: {rounds}). "
        f"Target at most {target.ratio:.2f}: {_met(median <= target.ratio, median, target.ratio)}."
    ]
    if target.every_round_at_most is not None:
        worst = max(ratios)
        lines.append(
            f"No round above {target.every_round_at_most:.2f}: "
            f"{_met(worst <= target.every_round_at_most, worst, target.every_round_at_most)}."
        )
    mine, theirs = (results.median(k, "p99_ms") for k in (target.setup, target.against))
    bare_p99 = results.median(bare, "p99_ms")
    lines.append(
        f"p99 ratio to bare {mine / bare_p99:.2f} against {labels[target.against]}'s "
        f"{theirs / bare_p99:.2f}; target at most its: {_met(mine <= theirs, mine, theirs)}."
    )
    waited, they_waited = (results.longest_wait(k) for k in (target.setup, target.against))
    if target.wait_at_most_against:
        lines.append(
            f"Longest wait {waited:.1f} ms against {labels[target.against]}'s "
            f"{they_waited:.1f}; target at most its: "
            f"{_met(waited <= they_waited, waited, they_waited)}."
        )
    if target.longest_wait_at_most_ms is not None:
        # A request held up behind an export: the wait outside the full collections, which
        # every set-up pays wherever one falls (the column beside the longest wait).
        bound = target.longest_wait_at_most_ms
        outside = results.longest_wait_outside_collections(target.setup)
        behind = waited if outside is None else outside
        lines.append(
            f"Longest wait {'' if outside is None else 'outside full collections '}at most "
            f"{bound:.1f} ms (half the figure published before Connect's own encoding): "
            f"{_met(behind <= bound, behind, bound)}."
        )
    return " ".join(lines)


def _met(met: bool, value: float, bound: float) -> str:
    return "met" if met else f"NOT met, {value / bound - 1:.0%} over"


def flask_notes(results: Results) -> str:
    notes = []
    if results.samples.get("floor") and results.samples.get("sdk"):
        floor = statistics.median(results.added_ratios("floor", "sdk", "bare"))
        notes.append(
            f"The SDK's floor (span and log only, no metrics) adds {floor:.2f} of its CPU."
        )
    for variant, what in (
        ("connect-unscrubbed", "Scrubbing costs {:.0f} µs of CPU a request, off its thread."),
        (
            "connect-no-libraries",
            "Every installed library instrumented but unused costs {:.0f} µs a request.",
        ),
    ):
        if results.samples.get(variant) and results.samples.get("connect"):
            cost = results.median("connect", "cpu_us") - results.median(variant, "cpu_us")
            notes.append(what.format(cost))
    return " ".join(notes)


def batch_table(results: Results) -> str:
    setups = results.family("batch")
    if not setups:
        return ""
    bare = setups[0]["key"]
    bare_p99 = results.median(bare, "p99_ms")
    rows = [
        "| export batch size | added CPU µs | p99 ratio to bare | longest wait ms |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for setup in setups[1:]:
        key = setup["key"]
        rows.append(
            f"| {setup['settings']['OTEL_BSP_MAX_EXPORT_BATCH_SIZE']} "
            f"| {results.added(key, bare):.0f} "
            f"| {results.median(key, 'p99_ms') / bare_p99:.2f} | {results.longest_wait(key):.1f} |"
        )
    rows.append(f"| bare Flask | — | 1.00 | {results.longest_wait(bare):.1f} |")
    return "\n".join(rows)


def report(results: Results) -> str:
    parts = [
        f"{results.data['rounds']} interleaved rounds of {results.data['requests']:,} requests "
        "per set-up. Longest wait: the slowest request less the median one (worst round)."
    ]
    for family, title in TITLES.items():
        if not results.family(family):
            continue
        parts.append(f"**{title}**\n\n{family_table(results, family)}")
        lines = [verdict(results, family)]
        if family == "flask":
            lines.append(flask_notes(results))
        parts.append(" ".join(line for line in lines if line))
    batches = batch_table(results)
    if batches:
        parts.append(f"**Export batch size** (connect-otel on Flask)\n\n{batches}")
    bundle, tags = results.data["bundle_bytes"], results.data["tag_render_us"]
    parts.append(
        f"Beacon bundle: {bundle['raw']} bytes, {bundle['gzip']} gzipped (plain.connect 0.5.0's: "
        f"2,087 and 896). Tag render with an identity token on Plain: {tags['pageviews']:.1f} µs "
        f"(plain.connect 0.5.0's: {tags['reference']:.1f} µs)."
    )
    return "\n\n".join(parts)


def summary(results: Results) -> str:
    """The root README's table: each family's set-ups by added CPU, p99 and longest wait."""
    rows = [
        "| family | set-up | added CPU µs/request | p99 ratio to bare | longest wait ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for family, title in TITLES.items():
        setups = results.family(family)
        if not setups:
            continue
        bare = setups[0]["key"]
        bare_p99 = results.median(bare, "p99_ms")
        for setup in setups:
            key = setup["key"]
            if key in ("connect-unscrubbed", "connect-no-libraries"):
                continue
            added = "—" if key == bare else f"{results.added(key, bare):.0f}"
            rows.append(
                f"| {title} | {setup['label']} | {added} "
                f"| {results.median(key, 'p99_ms') / bare_p99:.2f} "
                f"| {results.longest_wait(key):.1f} |"
            )
    verdicts = [verdict(results, family) for family in TARGETS if results.family(family)]
    return "\n".join(rows) + "\n\n" + "\n\n".join(v for v in verdicts if v)


def drills_table(data: dict[str, Any]) -> str:
    rows = [
        "| endpoint | requests | p50 ratio | p99 ratio | RSS MB | SIGTERM s | spans dropped "
        "| logs dropped |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for drill in data["drills"]:
        rows.append(
            f"| {drill['mode']} | {drill['requests']} | {drill['p50_ratio']:.2f} "
            f"| {drill['p99_ratio']:.2f} | {drill['rss_mb']:.0f} | {drill['stop_seconds']:.1f} "
            f"| {drill['dropped_spans']} | {drill['dropped_logs']} |"
        )
    return (
        f"{data['seconds']:.0f} s of load per fault mode; ratios are to the healthy twin served "
        "beside it.\n\n" + "\n".join(rows)
    )


def blocks() -> dict[tuple[Path, str], str]:
    """Every generated block of the READMEs, by README and block name, from the published files."""
    results = Results(json.loads(published("results").read_text()))
    drills = json.loads(published("drills").read_text())
    return {
        (ROOT_README, "bench-summary"): summary(results),
        (BENCH_README, "bench-results"): report(results),
        (BENCH_README, "drill-results"): drills_table(drills),
    }


def marked(name: str, text: str) -> str:
    return (
        f"<!-- {name}: generated by integration/benchmarks/report.py --publish -->\n"
        f"{text}\n<!-- /{name} -->"
    )


def block_in(readme: str, name: str) -> str:
    start = readme.index(f"<!-- {name}:")
    end = readme.index(f"<!-- /{name} -->") + len(f"<!-- /{name} -->")
    return readme[start:end]


def chart(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = [f for f in ("flask", "fastapi", "plain", "batch") if results.family(f)]
    figure, axes = plt.subplots(2, len(families), figsize=(5 * len(families), 8), squeeze=False)
    for column, family in enumerate(families):
        setups = results.family(family)
        labels = [s["label"] for s in setups]
        cpu_axis, p99_axis = axes[0][column], axes[1][column]
        cpu_axis.bar(labels, [results.median(s["key"], "cpu_us") for s in setups], color="#4c72b0")
        cpu_axis.set_title(f"{family}: server CPU per request (µs)")
        p99_axis.bar(labels, [results.median(s["key"], "p99_ms") for s in setups], color="#dd8452")
        p99_axis.set_title(f"{family}: p99 latency (ms)")
        for axis in (cpu_axis, p99_axis):
            axis.tick_params(axis="x", rotation=35, labelsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def write_report(path: Path) -> str:
    """Writes results.md and results.png beside `path`; returns the report."""
    results = Results(json.loads(path.read_text()))
    text = report(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.md").write_text(text + "\n")
    chart(results, RESULTS / "results.png")
    return f"{text}\n\nwritten: {RESULTS / 'results.md'}, {RESULTS / 'results.png'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--publish", action="store_true", help="update the READMEs from them")
    args = parser.parse_args(argv)
    if not (RESULTS / "results.json").exists():
        raise SystemExit(f"no results to report: {RESULTS / 'results.json'} (run make bench)")
    print(write_report(RESULTS / "results.json"))
    if args.publish:
        print(publish())
    return 0


def publish() -> str:
    """Keeps the complete results files of the last runs and regenerates the READMEs' tables."""
    kept = []
    for name in ("results", "drills"):
        path = RESULTS / f"{name}.json"
        if path.exists():
            incomplete = _incomplete(json.loads(path.read_text()))
            if incomplete:
                raise SystemExit(f"not published: {path} {incomplete}")
            shutil.copyfile(path, published(name))
            kept.append(path.name)
    for (readme, name), text in blocks().items():
        content = readme.read_text()
        readme.write_text(content.replace(block_in(content, name), marked(name, text)))
    return f"published {', '.join(kept)}; the READMEs' tables are regenerated from them"


def _incomplete(data: dict[str, Any]) -> str:
    if "drills" in data:
        return "" if len(data["drills"]) == 10 else "lacks fault modes"
    families = {setup["family"] for setup in data["setups"]}
    if data["rounds"] < 5 or families != {"flask", "fastapi", "plain", "batch"}:
        return "is not every family over at least five rounds"
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
