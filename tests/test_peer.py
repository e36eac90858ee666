"""Where CI requires real peers (DJAI_LIVE_REQUIRE_PEERS=1), a missing peer fails the run instead of
skipping; elsewhere it skips."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MISSING_PEER = '''
from tests.peer import need_executables, need_module

def test_an_executable_peer():
    need_executables("djai-no-such-peer", install="apt-get install nothing")

def test_a_module_peer():
    need_module("djai_no_such_module", install="pip install nothing")
'''


@pytest.mark.parametrize("required, outcome", [("", "2 skipped"), ("1", "2 failed")])
def test_a_missing_peer_skips_or_fails_as_ci_asks(tmp_path, required, outcome):
    test = tmp_path / "test_missing_peer.py"
    test.write_text(MISSING_PEER)
    completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(test)],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                                    "DJAI_LIVE_REQUIRE_PEERS": required})
    assert outcome in completed.stdout, completed.stdout + completed.stderr
    assert (completed.returncode != 0) == (required == "1")
    if required:
        assert "djai-no-such-peer not installed" in completed.stdout
