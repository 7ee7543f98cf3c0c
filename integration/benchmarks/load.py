"""The load process of the benchmark and the drills: sequential GETs to several servers in turn.

Every request goes on a fresh connection (gunicorn's sync worker does not keep connections
alive). After the warm-up it prints WARM and waits for a line on stdin, so the caller can read
the servers' CPU between the two. Then it sends each server `--block` requests in turn, the
order rotated every block so that no server always follows another, until each has had
`--count` requests or `--seconds` have passed. It prints the latencies in seconds as JSON, one
list per port, in the order the ports were given, and with `--stamps` a second line of the same
shape: when each request was sent, in seconds of `time.monotonic()`.

    python load.py (--count N | --seconds S) [--block 50] [--warmup 200] [--pause 0]
        [--stamps] PORT...
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time


def request(port: int, number: int) -> tuple[float, float]:
    """When the request was sent (time.monotonic) and how long it took, in seconds."""
    sent = time.monotonic()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/items/{number}")
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"port {port} answered {response.status}")
    return sent, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    until = parser.add_mutually_exclusive_group(required=True)
    until.add_argument("--count", type=int, help="requests per server")
    until.add_argument("--seconds", type=float, help="for this long, whatever the count")
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between requests")
    parser.add_argument("--stamps", action="store_true", help="then when each was sent")
    parser.add_argument("ports", type=int, nargs="+")
    args = parser.parse_args()

    for port in args.ports:
        for number in range(args.warmup):
            request(port, number)
    print("WARM", flush=True)
    sys.stdin.readline()

    took: list[list[float]] = [[] for _ in args.ports]
    sent_at: list[list[float]] = [[] for _ in args.ports]
    deadline = time.monotonic() + (args.seconds or 0.0)
    sent, block_number = 0, 0
    while (sent < args.count) if args.count else (time.monotonic() < deadline):
        size = min(args.block, args.count - sent) if args.count else args.block
        for turn in range(len(args.ports)):
            which = (block_number + turn) % len(args.ports)
            for number in range(sent, sent + size):
                stamp, seconds = request(args.ports[which], number)
                sent_at[which].append(stamp)
                took[which].append(seconds)
                if args.pause:
                    time.sleep(args.pause)
        sent += size
        block_number += 1
    print(json.dumps(took), flush=True)
    if args.stamps:
        print(json.dumps(sent_at), flush=True)


if __name__ == "__main__":
    main()
