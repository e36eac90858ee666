"""Fixtures for the daemon's tests; the helpers they use live in tests/support/osc.py (shared with the
benchmarks in scripts/)."""
from __future__ import annotations

import pytest

from tests.support.osc import OscPeer, free_udp_port, running_daemon


@pytest.fixture
def peer_and_daemon(request):
    """A running daemon (args from the test's `daemon_args` marker) and a peer listening for its replies."""
    marker = request.node.get_closest_marker("daemon_args")
    args = marker.args if marker else ()
    reply_port = free_udp_port()
    with running_daemon(*args, reply_port=reply_port) as (process, port):
        peer = OscPeer(port, listen_port=reply_port)
        try:
            yield peer, process
        finally:
            peer.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "daemon_args(*args): extra arguments for `djai-live serve`")
