"""TensorFlow's start-up lines are dropped; anything else written while it is imported is passed on."""
import subprocess
import sys

from djai_live.tensorflow_import import STARTUP_NOISE


def test_the_filter_knows_the_start_up_lines_and_nothing_else():
    noise = ["WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
             "I0000 00:00:1796060333.287963   11675 cudart_stub.cc:31] Could not find cuda drivers on your machine",
             "I0000 00:00:1796060333.429675   11675 cpu_feature_guard.cc:227] This TensorFlow binary is optimized",
             "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the"]
    assert all(STARTUP_NOISE.search(line) for line in noise)
    assert not STARTUP_NOISE.search("E0000 segfault in my own op: out of memory")


def test_importing_through_it_prints_no_start_up_lines_and_leaves_stderr_working():
    code = ("import os; from djai_live.tensorflow_import import import_tensorflow_quietly; "
            "import_tensorflow_quietly(); os.write(2, b'still here\\n'); import tensorflow; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok"
    assert result.stderr == "still here\n"
