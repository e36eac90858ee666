"""Importing TensorFlow without its start-up chatter.

TensorFlow's C++ side writes lines like "Could not find cuda drivers" and "This TensorFlow binary is optimized
to use available CPU instructions" straight to file descriptor 2 while it is imported, before Python logging
or even absl's own log settings exist, so ``TF_CPP_MIN_LOG_LEVEL`` does not stop them all. The import runs
with descriptor 2 captured; known start-up lines are dropped, anything else is passed on unchanged.
"""
from __future__ import annotations

import os
import re
import sys
import tempfile

STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|cudart_stub\.cc|cuda_(dnn|fft|blas|executor|diagnostics)\.cc|"
    r"cpu_feature_guard\.cc|To enable the following instructions|rebuild TensorFlow with the appropriate compiler|"
    r"oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS|Unable to register cu(DNN|FFT|BLAS) factory|"
    r"computation_placer\.cc|TF-TRT Warning|Could not find TensorRT|absl::InitializeLog")


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras once, keeping their start-up lines out of the terminal."""
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's kernels: a training step of the default model on this 2-core machine took 120-145 ms with them
    # against 195 ms without (batches of 16, one thread per op); this TensorFlow leaves them off unless asked.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # multi-worker training's gRPC start-up lines
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 (a GUI host): nothing to keep quiet
        import keras
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
            import keras  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if line.strip() and not STARTUP_NOISE.search(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
