"""Connect's job, end to end, on this machine: each example app runs under its real server with
connect-otel and connect-pageviews on, a scripted tour (HTTP requests, an error, a headless
Chromium visit with in-app navigation and a signed-in user) exercises it, and the demo prints
what the local receiver got.

    python -m connect_integration.demo                 # every example app, then a summary each
    python -m connect_integration.demo --app flask     # one of: flask, django, fastapi, plain,
                                                       # services (the whole-app tour)
    python -m connect_integration.demo --serve         # keep one app running; show arrivals live
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from connect_integration.browser import CHROMIUM, CHROMIUM_ARGS
from connect_integration.examples import EXAMPLES, ExampleApp
from connect_pageviews import InvalidIdentityToken, decrypt_identity
from connect_testkit.receiver import (
    LogRecord,
    Pageview,
    Receiver,
    Span,
    print_arrival,
    wait_for_interrupt,
)
from connect_testkit.servers import Server

TOKEN = "demo-token"
IDENTITY_KEY = "demo-identity-key"
REQUESTS = ["/items/42", "/items/7", "/db", "/log", "/boom", "/health"]


def step(message: str) -> None:
    print(f"\033[1m==>\033[0m {message}", flush=True)


def app_environ(receiver: Receiver, fast: bool = True) -> dict[str, str]:
    environ = {
        "CONNECT_EXPORT_URL": receiver.url,
        "CONNECT_EXPORT_TOKEN": TOKEN,
        "CONNECT_PAGEVIEWS_TOKEN": "pv_demo",
        "CONNECT_PAGEVIEWS_IDENTITY_KEY": IDENTITY_KEY,
        "CONNECT_PAGEVIEWS_URL": receiver.beacon_url,
        "CONNECT_ENVIRONMENT": "demo",
    }
    if fast:
        environ.update(
            CONNECT_METRICS_INTERVAL="2",
            OTEL_BSP_SCHEDULE_DELAY="300",
            OTEL_BLRP_SCHEDULE_DELAY="300",
        )
    return environ


@contextmanager
def serving(example: ExampleApp, receiver: Receiver, workdir: Path) -> Iterator[Server]:
    with ExitStack() as stack:
        env = app_environ(receiver)
        if example.name == "plain":
            from connect_integration.postgres import postgres_server

            step("starting a throwaway PostgreSQL server for the Plain app")
            env["DATABASE_URL"] = stack.enter_context(postgres_server())
        server = stack.enter_context(example.run(workdir / f"{example.name}.sqlite3", **env))
        yield server


def browse(server: Server) -> None:
    """A visitor: the in-app router, back, then signing in as ada."""
    if not Path(CHROMIUM).exists():
        step(f"skipping the browser visit: {CHROMIUM} is missing (apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.url + "/spa")
        page.click("text=inbox")
        page.click("text=settings")
        page.go_back()
        page.goto(server.url + "/login")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", "lovelace")
        page.click("button")
        page.wait_for_url(server.url + "/")
        page.goto(server.url + "/items/42")
        page.wait_for_timeout(300)  # the last beacon leaves before the browser closes
        browser.close()


def tour(example: ExampleApp, receiver: Receiver, workdir: Path) -> str:
    step(f"{example.name}: starting the example app under its real server")
    with serving(example, receiver, workdir) as server:
        step(f"{example.name}: {len(REQUESTS)} requests ({', '.join(REQUESTS)}), one raises")
        for path in REQUESTS:
            server.get(path)
        step(f"{example.name}: a headless Chromium visit (in-app navigation, back, signing in)")
        browse(server)
        step(f"{example.name}: stopping the server gracefully (SIGTERM)")
        started = time.monotonic()
        server.stop()
        stopped_in = time.monotonic() - started
    receiver.wait_for(
        lambda r: any(s.attributes.get("url.path") == "/log" for s in r.spans()), timeout=30
    )
    return summary(example, receiver, stopped_in)


def summary(example: ExampleApp, receiver: Receiver, stopped_in: float) -> str:
    spans, metrics, logs = receiver.spans(), receiver.metrics(), receiver.logs()
    requests = [s for s in spans if s.kind == "SERVER"]
    service = requests[0].resource.get("service.name") if requests else "?"
    lines = [f"\n{example.name}: service {service!r}, stopped in {stopped_in:.1f}s", ""]
    lines.append(f"  Requests ({len(requests)} server spans, {len(spans)} spans in all)")
    by_route: dict[str, list[Span]] = defaultdict(list)
    for span in requests:
        by_route[span.name].append(span)
    for route, group in sorted(by_route.items()):
        took = [(s.end_ns - s.start_ns) / 1e6 for s in group]
        statuses = sorted({str(s.attributes.get("http.response.status_code", "-")) for s in group})
        lines.append(
            f"    {route:<34} x{len(group):<3} median {statistics.median(took):7.1f} ms"
            f"  status {', '.join(statuses)}"
        )
    if requests:
        slowest = max(requests, key=lambda s: s.end_ns - s.start_ns)
        slowest_ms = (slowest.end_ns - slowest.start_ns) / 1e6
        path = slowest.attributes.get("url.path")
        lines.append(f"    slowest: {slowest.name} ({path}) {slowest_ms:.1f} ms")
    for span in requests:
        for event in span.events:
            if event.name == "exception":
                lines.append(
                    f"    error: {span.attributes.get('url.path')} raised "
                    f"{event.attributes.get('exception.type')}: "
                    f"{event.attributes.get('exception.message')}"
                )
    queries = [s for s in spans if s.kind == "CLIENT"]
    lines.append(f"    database spans: {len(queries)}")
    lines += ["", f"  Metrics ({len({m.name for m in metrics})} names)"]
    points: dict[str, int] = defaultdict(int)
    for metric in metrics:
        points[metric.name] += sum(p.count or 1 for p in metric.points)
    lines += [f"    {name:<40} {count}" for name, count in sorted(points.items())]
    lines += ["", f"  Log records ({len(logs)})"]
    lines += [f"    {log_line(log)}" for log in logs if log.scope != "connect_otel"][:12]
    views = receiver.pageviews()
    lines += ["", f"  Page views ({len(views)})"]
    trace_names = {s.trace_id: s.name for s in requests}
    lines += [f"    {view_line(view, trace_names)}" for view in views]
    complete = requests and metrics and logs and (views or not Path(CHROMIUM).exists())
    lines.append(f"\n  {'OK' if complete else 'INCOMPLETE'}: {example.name} exported every signal")
    return "\n".join(lines)


def log_line(log: LogRecord) -> str:
    body = str(log.body).splitlines()[0][:58]
    return f"{log.severity_text:<5} {body:<58} trace {log.trace_id[:12] or '-'}"


def view_line(view: Pageview, trace_names: dict[str, str]) -> str:
    """One page view; the receiver takes beacons that leave fields out, so any may be missing."""
    fields = view.fields
    try:
        who = "user " + decrypt_identity(fields.get("identity", ""), IDENTITY_KEY)
    except InvalidIdentityToken:
        who = "anonymous"
    trace = fields.get("trace_id", "")
    joined = (
        f"server trace {trace[:12]} ({trace_names.get(trace, 'not received')})"
        if trace
        else "in-app navigation"
    )
    path = "/" + fields.get("url", "").split("/", 3)[-1]
    return f"{path:<18} {fields.get('title', '')!r:<14} {who:<10} {joined}"


WHOLE_APP = "services"


def whole_app_tour(receiver: Receiver, workdir: Path) -> str:
    """One request that fans out to a second service, the cache and a background job."""
    from connect_integration.services import trace_tree, whole_app

    step("services: frontend and downstream under gunicorn, Redis, a Celery prefork worker")
    with whole_app(app_environ(receiver), workdir) as running:
        step("services: GET /checkout calls downstream, writes the cache and sends a job")
        running.frontend.get("/checkout")
        receiver.wait_for(
            lambda r: any(
                s.kind == "CONSUMER" and s.resource.get("service.name") == "worker"
                for s in r.spans()
            ),
            timeout=30,
        )
        running.worker.stop()
    (request,) = [s for s in receiver.spans() if s.attributes.get("url.path") == "/checkout"]
    tree = trace_tree(receiver, request.trace_id)
    services = {line.split()[-3] for line in tree}
    complete = {"frontend", "downstream", "worker"} <= services
    lines = ["", f"services: one trace, {len(tree)} spans across {len(services)} services", ""]
    lines += [f"  {line}" for line in tree]
    lines.append(f"\n  {'OK' if complete else 'INCOMPLETE'}: services traced end to end")
    return "\n".join(lines)


def serve(example: ExampleApp, receiver: Receiver, workdir: Path) -> int:
    with serving(example, receiver, workdir) as server:
        step(f"open {server.url}/ (try /spa, /login as ada/lovelace, /boom); Ctrl-C stops")
        step(f"telemetry and page views arriving at {receiver.url} are printed below")
        wait_for_interrupt()
        step("stopping")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--app", choices=[*sorted(EXAMPLES), WHOLE_APP], help="only this example app"
    )
    parser.add_argument("--serve", action="store_true", help="keep one app running (default flask)")
    args = parser.parse_args(argv)
    names = [args.app] if args.app else [*sorted(EXAMPLES), WHOLE_APP]
    if args.serve:
        names = [args.app if args.app in EXAMPLES else "flask"]
    with tempfile.TemporaryDirectory(prefix="connect-demo-") as workdir:
        outcomes = []
        for name in names:
            with Receiver(
                token=TOKEN, on_arrival=print_arrival if args.serve else None
            ) as receiver:
                if args.serve:
                    return serve(EXAMPLES[name], receiver, Path(workdir))
                if name == WHOLE_APP:
                    outcomes.append(whole_app_tour(receiver, Path(workdir)))
                else:
                    outcomes.append(tour(EXAMPLES[name], receiver, Path(workdir)))
                print(outcomes[-1], flush=True)
    if "plain" not in EXAMPLES:
        step("Plain was skipped: it needs Python 3.13+ (make demo sets up .venv-plain)")
    return 0 if all("OK:" in outcome for outcome in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
