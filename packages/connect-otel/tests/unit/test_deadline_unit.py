"""What the export deadline assumes of requests and urllib3, each checked against the installed
versions: these fail when a connection stops being one the watchdog can cut."""

from __future__ import annotations

import socket
import time

import pytest
import requests
import urllib3.connection
import urllib3.poolmanager
from requests.adapters import HTTPAdapter

from connect_otel import _deadline
from connect_testkit.ports import free_port


def _adapter() -> HTTPAdapter:
    adapter = _deadline.session().get_adapter("https://example.com")
    assert isinstance(adapter, HTTPAdapter)
    return adapter


def test_urllib3_makes_its_pools_from_the_classes_replaced() -> None:
    # The watched pools replace exactly urllib3's defaults, and PoolManager still reads them.
    assert urllib3.poolmanager.pool_classes_by_scheme == {
        "http": urllib3.connectionpool.HTTPConnectionPool,
        "https": urllib3.connectionpool.HTTPSConnectionPool,
    }
    manager = _adapter().poolmanager
    pool = manager.connection_from_url("http://127.0.0.1:1/")
    assert isinstance(pool, _deadline._WatchedHTTPPool)
    assert pool.ConnectionCls is _deadline._WatchedHTTPConnection
    assert isinstance(
        manager.connection_from_url("https://127.0.0.1:1/"), _deadline._WatchedHTTPSPool
    )


def test_connections_through_an_http_proxy_are_watched_too() -> None:
    manager = _adapter().proxy_manager_for("http://127.0.0.1:1")
    assert isinstance(
        manager.connection_from_url("https://127.0.0.1:2/"), _deadline._WatchedHTTPSPool
    )


def test_a_silent_server_is_cut_at_the_deadline() -> None:
    # Accepts, reads the request, never answers: only the deadline ends the wait.
    with socket.create_server(("127.0.0.1", free_port())) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        started = time.monotonic()
        with (
            _deadline.session() as session,
            pytest.raises(requests.RequestException),
            _deadline.deadline(0.5),
        ):
            session.post(url, data=b"x", timeout=30)
        assert time.monotonic() - started < 1.5


def test_after_the_deadline_no_new_connection_is_made() -> None:
    with socket.create_server(("127.0.0.1", free_port())) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/"
        with (
            _deadline.session() as session,
            pytest.raises(requests.RequestException),
            _deadline.deadline(0.0),
        ):
            session.post(url, data=b"x", timeout=30)
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()
