"""What `djai-live serve` was asked for: the daemon's options, apart from the live parameters (settings.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .control_map import ControlMap
from .instruments import InstrumentMap
from .takes import SILENCE_S


@dataclass
class ServeOptions:
    model: str = "default"
    osc: bool = True
    osc_host: str = "127.0.0.1"
    osc_port: int = 9000
    reply_host: str = "127.0.0.1"
    reply_port: int = 9001
    midi_in: str | None = None
    midi_out: str | None = None
    midi_api: str | None = None
    queue_size: int = 1024
    seed: int | None = None
    instruments: InstrumentMap = field(default_factory=InstrumentMap)
    prepare_answers: bool = True   # work ahead while idle (see CallAndResponse.prepare, Accompaniment.rehearse)
    # Live, the model runs alone unless asked: each transposed view costs answer latency (README).
    average_transpositions: int | None = 0  # None: as the model file says
    realtime: bool = True            # ask for SCHED_FIFO for the thread that sends notes
    models_dir: str | None = None    # where /djai/load may read model files; None: the folder of ``model``
    midi_control: str | None = None  # a separate controller's port (--midi-control)
    midi_map: ControlMap | None = None  # what controls drive what (--midi-map); None: nothing is mapped
    midi_feedback: bool = False      # changed values sent back as their control change on the MIDI output
    record: str | None = None        # the folder takes are kept in; None: no recording
    take_silence_s: float = SILENCE_S
    adapt_every_s: float | None = None   # adapt after this much of takes (--adapt-every); None: only when asked
    ui_port: int | None = None       # serve the live page on this TCP port (serve --ui); None: no page
    ui_host: str = "127.0.0.1"
