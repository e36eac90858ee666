"""The light install (`pip install .`, no [train] extra): serve, generate, continue and harmonize work without
TensorFlow or Keras; train and evaluate say in one line what to install. TensorFlow is installed here, so a
meta-path finder stands in for its absence: any attempt to import it fails, exactly as it would where it is
missing."""
import os
import signal
import subprocess
import sys

from tests.support.osc import OscPeer, free_udp_port
from tests.live.test_daemon import play_phrase

BLOCK_TRAINING_STACK = """
import sys
class _NoTrainingStack:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'):
            raise ModuleNotFoundError(f"No module named {name!r} (light install)", name=name)
        return None
sys.meta_path.insert(0, _NoTrainingStack())
from djai_live.cli import main
code = main()
leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))
assert not leaked, leaked
sys.exit(code)
"""


def light(*args, **kwargs) -> list[str]:
    return [sys.executable, "-c", BLOCK_TRAINING_STACK, *map(str, args)]


def test_generate_writes_a_file_without_the_training_stack(tmp_path, chorale):
    out = tmp_path / "out.mid"
    result = subprocess.run(light("generate", "--prompt", chorale, "--out", out, "--seed", 1, "--length", 5),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0 and "5 notes" in result.stdout


def test_continue_and_harmonize_the_musescore_plugins_commands_run_without_the_training_stack(tmp_path, chorale):
    for command, extra in (("continue", ["--bars", 1]), ("harmonize", ["--candidates", 1])):
        out, answer = tmp_path / f"{command}.mid", tmp_path / f"{command}.json"
        result = subprocess.run(light(command, chorale, "-o", out, "--json", answer, "--grid", "1/16", "--notation",
                                      *extra), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 0 and answer.stat().st_size > 0


def test_serve_answers_without_the_training_stack():
    reply_port, port = free_udp_port(), free_udp_port()
    process = subprocess.Popen(light("serve", "--osc-port", port, "--reply-port", reply_port, "--mode", "manual",
                                     "--length", "3"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    peer = OscPeer(port, listen_port=reply_port)
    try:
        assert "djai-live ready" in process.stdout.readline()
        play_phrase(peer, (60, 64, 67))
        peer.send("/djai/generate")
        (_, _, phrase), = peer.wait_for("/djai/phrase")
        assert phrase[1] == 3
    finally:
        peer.close()
        process.send_signal(signal.SIGTERM)
        code = process.wait(10)
    assert code == 0, process.stderr.read()  # the exit code carries the leak check's verdict


def test_train_and_evaluate_name_the_extra_to_install(tmp_path, chorale):
    for args in (["train", chorale.parent, "-o", tmp_path / "m.keras"], ["evaluate", chorale.parent]):
        result = subprocess.run(light(*args), capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert f"djai-live {args[0]}: error:" in result.stderr and "djai-live[train]" in result.stderr


def test_the_djai_api_names_the_extra_to_install():
    code = BLOCK_TRAINING_STACK.split("from djai_live.cli")[0] + """
try:
    from djai_live import djai
except ImportError as error:
    print(error)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "needs TensorFlow and Keras" in result.stdout and "djai-live[train]" in result.stdout
