"""`djai-live serve`: wires the engine, the scheduler and the OSC/MIDI edges, and runs until a signal."""
from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..generation import Generator
from ..model_files import resolve_model_path
from ..runtime import single_threaded_blas
from ..scales import SCALES
from .accompany import AccompanyError, Accompanist
from .clock import ClockError, MidiClock, OscClock, Placement, available_sources, make_clock
from .engine import Engine, Phrase
from .grid import GRIDS
from .instruments import InstrumentMap
from .jack import JackMessages
from .loader import ModelLoader, warm_up
from .midi import MidiInput, MidiOutput, MidiPort, MidiSink
from .osc import OscListener, OscReplies
from .ports import PortWatcher
from .protocol import Command, ProtocolError, parse
from .queue import DropOldestQueue
from .realtime import DEFAULT_PRIORITY, request_realtime
from .scheduler import ALL_CHANNELS, FanOut, Scheduler
from .settings import LiveSettings, SettingError

log = logging.getLogger(__name__)
events = logging.getLogger("djai_live.events")  # each phrase and setting change: shown with -v


def acknowledged_value(value: object) -> object:
    """A stored setting as /djai/set echoes it: on/off as 1/0 (Max and Pd toggles), a scale in words."""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "describe"):
        return value.describe()
    return value
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PREPARE_CLEARANCE_S = 0.008  # prepare an answer only when no note is due sooner (or twice the last preparation)
IDLE_WORK_CLEARANCE_S = 0.005  # a rehearsed chord, cold, with room: the accompaniment works ahead no closer to a due note
IDLE_YIELD_S = 0.0002          # the core given back between slices of that work (see _accompaniment_busy)
GIL_SWITCH_S = 0.0005        # the scheduler thread gets the interpreter within this when a note is due
NOTE_KINDS = ("note_on", "note_off")
HELPER_PRIORITY = DEFAULT_PRIORITY - 1  # the engine and OSC threads, when real-time scheduling is asked for
TEMPO_FOLLOW_FRACTION = 0.005   # a host tempo this far from the one a playing phrase was placed at moves its notes
PHASE_FOLLOW_S = 0.002          # ... and so does a host beat this far from where it was placed (a recounted clock)
TEMPO_FOLLOW_INTERVAL_S = 0.01  # how often the tempo is looked at while such a phrase plays


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
    prepare_answers: bool = True   # draw the next answer while idle (see Engine.prepare)
    # Live, the model runs alone unless asked: each transposed view costs answer latency (README).
    average_transpositions: int | None = 0  # None: as the model file says
    realtime: bool = True            # ask for SCHED_FIFO for the thread that sends notes
    models_dir: str | None = None    # where /djai/load may read model files; None: the folder of ``model``


class Daemon:
    """One running co-improviser. ``start()`` returns once it listens; ``stop()`` ends every note."""

    def __init__(self, options: ServeOptions, settings: LiveSettings | None = None,
                 generator: Generator | None = None) -> None:
        self.options = options
        self.generator = generator or Generator.from_file(options.model, options.average_transpositions)
        self.model_name = str(options.model)
        self.settings = settings or LiveSettings(length=self.generator.config.sequence_length_o)
        self.engine = Engine(self.generator, self.settings, seed=options.seed)
        self.engine.instruments = options.instruments
        self.engine.host_clock = make_clock(self.settings.clock, lambda: self.settings.beats_per_bar,
                                            self.settings.tempo_bpm)
        self.queue = DropOldestQueue(options.queue_size)
        self.replies = OscReplies(options.reply_host, options.reply_port) if options.osc else None
        self.rejected = 0
        self._last_prepare_s = 0.0  # how long the last answer preparation held the engine thread
        self._key_sent: str | None = None
        self._placement: Placement | None = None  # how the phrase now playing sits on the host's beats
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._swap: tuple[str, Generator] | None = None  # a model loaded, waiting for a gap between notes
        self.listener = None
        self.midi_in: MidiInput | None = None
        self.midi_out: MidiOutput | None = None
        self.watcher: PortWatcher | None = None
        self.jack_messages = JackMessages()
        if options.midi_in or options.midi_out:
            self.jack_messages.install()
        sinks = [self.replies]
        if options.midi_out:
            self.midi_out = MidiOutput(options.midi_out, options.midi_api).open()
            sinks.append(MidiSink(self.midi_out))
        self.scheduler = Scheduler(FanOut(*sinks), realtime_priority=DEFAULT_PRIORITY if options.realtime else None)
        models_dir = Path(options.models_dir) if options.models_dir else resolve_model_path(options.model).parent
        self.loader = ModelLoader(models_dir, options.average_transpositions, self._model_loaded, self._model_failed)
        self.accompanist = Accompanist(self.engine, self.scheduler)
        if self.settings.mode == "accompany":
            Accompanist.check_model(self.generator.config.num_instruments)
        self._thread = threading.Thread(target=self._conduct, name="djai-engine", daemon=True)

    # --- life cycle --------------------------------------------------------------------------------
    def start(self) -> "Daemon":
        # Every input is bound first: a daemon that cannot run (a port another one holds) must leave before
        # it sends anything, or its start-up all-notes-off would silence the set that is playing.
        self._open_inputs()
        sys.setswitchinterval(GIL_SWITCH_S)  # the default 5 ms would let a busy thread delay a due note
        self._warm_up()
        # What start-up made (libraries, the model) lives as long as the daemon: frozen, a full collection
        # never walks it again (a few milliseconds each time, on whichever thread allocates).
        gc.collect()
        gc.freeze()
        self.scheduler.start()
        if not self.options.realtime:
            log.info("real-time scheduling not asked for (--no-realtime)")
        else:
            self.scheduler.wait_realtime(2.0)  # the thread logs what the OS said
        # Start-up: notes a previous daemon left sounding (killed before it could end them) end here.
        self.scheduler.all_notes_off(ALL_CHANNELS)
        self._thread.start()
        if self.listener is not None:
            self.listener.start()
            log.info("OSC in on %s:%d, replies to %s:%d", *self.listener.address, *self.replies.target)
        if self.midi_in is not None:
            log.info("MIDI in: %s", self.midi_in.describe())
        if self.midi_out is not None:
            log.info("MIDI out: %s", self.midi_out.describe())
        # output first, as at start: JACK then names the clients in the same order after a restart
        self.watcher = PortWatcher([self.midi_out, self.midi_in], self._port_changed).start()
        return self

    def _open_inputs(self) -> None:
        """Bind the OSC socket and open the MIDI input; raises OSError or MidiPortError, having sent nothing
        (what arrives before the engine runs waits in the queue)."""
        try:
            if self.options.osc:
                if self.options.osc_host not in LOOPBACK:
                    log.warning("OSC listens on %s, not only on this machine: anyone who can reach port %d "
                                "can play through djai-live", self.options.osc_host, self.options.osc_port)
                self.listener = OscListener(self.options.osc_host, self.options.osc_port, self._on_osc,
                                            self._reject, HELPER_PRIORITY if self.options.realtime else None)
            if self.options.midi_in:
                self.midi_in = MidiInput(self.options.midi_in, self.options.midi_api, self._on_midi,
                                         self._on_midi_realtime,
                                         HELPER_PRIORITY if self.options.realtime else None).open()
        except BaseException:
            self._close_unstarted()
            raise

    def _close_unstarted(self) -> None:
        """A start that failed: close what was opened, without a note or a note-off to anyone."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for port in (self.midi_in, self.midi_out):
            if port is not None:
                port.close()
        self.jack_messages.uninstall()

    def _warm_up(self) -> None:
        """One throw-away answer so the first real one does not pay for cold caches."""
        log.info("model warmed up in %.1f ms", warm_up(self.generator))

    def request_stop(self, *_: object) -> None:
        self._stop.set()

    def wait(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def stop(self) -> int:
        """Stop listening, send every outstanding note-off, close ports; returns the notes ended."""
        self._stop.set()
        if self.watcher is not None:
            self.watcher.close()
        if self.listener is not None:
            self.listener.close()
        if self.midi_in is not None:
            self.midi_in.close()
        self._thread.join(timeout=2.0)
        self.loader.close()
        ended = self.scheduler.close()  # all notes off: the known note-offs, every pitch ever sent, CC 123/120
        if self.midi_out is not None:
            self.midi_out.close()
        self.engine.host_clock.close()
        self.jack_messages.uninstall()
        self._stopped.set()
        log.info("stopped; %d sounding note(s) ended", ended)
        return ended

    # --- inbound -------------------------------------------------------------------------------------
    def _on_osc(self, address: str, args: list, arrival: float) -> None:
        try:
            command = parse(address, args)
        except ProtocolError as error:
            self._reject(str(error))
            return
        self.queue.put((command, arrival), control=command.kind not in NOTE_KINDS)

    def _on_midi(self, command: Command) -> None:
        self.queue.put((command, time.monotonic()), control=command.kind not in NOTE_KINDS)

    def _on_midi_realtime(self, kind: str, arrival: float, position: int | None) -> None:
        clock = self.engine.host_clock  # read once: /djai/set clock may swap it from the engine thread
        if isinstance(clock, MidiClock):
            clock.feed(kind, arrival, position)

    def _reject(self, message: str) -> None:
        self.rejected += 1
        log.warning("rejected: %s", message)
        if self.replies is not None:
            self.replies.error(message)

    def _port_changed(self, state: str, port: MidiPort, text: str) -> None:
        """A watched MIDI port's device went or came back (the watcher's thread)."""
        if state == "gone":
            log.warning("%s", text)
            if self.replies is not None:
                self.replies.error(text)
        else:
            log.info("%s", text)
            clock = self.engine.host_clock
            if isinstance(port, MidiInput) and isinstance(clock, MidiClock):
                clock.lose_phase(f"MIDI input {port.device or port.wanted!r} was reopened")
        self._reply("/djai/midi_port", "in" if isinstance(port, MidiInput) else "out", state,
                    port.device or port.wanted)

    def _model_loaded(self, name: str, generator: Generator, path: Path) -> None:
        """The loader's thread: hand the model to the engine thread, which swaps it between answers."""
        self.queue.put((Command("swap", (name, generator)), time.monotonic()), control=True)

    def _model_failed(self, name: str, reason: str) -> None:
        self.queue.put((Command("load_failed", (name, reason)), time.monotonic()), control=True)

    # --- the engine thread ---------------------------------------------------------------------------
    def _prepare_clearance(self) -> float:
        """How far off the next note must be for an answer to be prepared now: preparing holds the
        interpreter, so a larger model (or transposition averaging) needs a wider berth."""
        return max(PREPARE_CLEARANCE_S, 2.0 * self._last_prepare_s)

    def _conduct(self) -> None:
        if self.options.realtime:
            # Below the scheduler, above every ordinary process: a busy machine must not preempt this
            # thread while it holds the interpreter lock, or the scheduler waits for it (measured in
            # scripts/bench_faults.py)
            request_realtime(HELPER_PRIORITY)
        retry_prepare = False
        while not self._stop.is_set():
            deadline = self.engine.next_deadline()
            timeout = 0.25 if deadline is None else min(0.25, max(0.0, deadline - time.monotonic()))
            if retry_prepare:
                timeout = min(timeout, self._prepare_clearance())
            if self._placement is not None:
                timeout = min(timeout, TEMPO_FOLLOW_INTERVAL_S)
            if self._swap is not None:
                timeout = min(timeout, self._prepare_clearance())
            accompanying = self.settings.mode == "accompany"
            if accompanying:
                planned = self.accompanist.next_deadline()
                if planned is not None:
                    timeout = min(timeout, max(0.0, planned - time.monotonic()))
            item = self.queue.get(timeout)
            try:
                if item is not None:
                    self._handle(*item)
                self._follow_tempo()
                self._tell_clock_notes()
                if self._swap is not None:
                    self._try_swap()
                if accompanying and len(self.queue) == 0:  # notes that have arrived go first
                    self.accompanist.due(time.monotonic())
                    # while nothing is due: bound the context a step at a time, then rehearse the answers
                    # to the performer's likeliest next notes
                    self.accompanist.tidy(self._accompaniment_busy)
                    self.accompanist.rehearse(self._accompaniment_busy, self._note_waiting)
                phrase = self.engine.due()
                if phrase is not None:
                    self._play(phrase)
                retry_prepare = False
                if self.options.prepare_answers and len(self.queue) == 0:
                    due = self.scheduler.next_due()
                    if due is None or due - time.monotonic() > self._prepare_clearance():
                        started = time.perf_counter()
                        if self.engine.prepare():
                            self._last_prepare_s = time.perf_counter() - started
                    else:
                        retry_prepare = True  # a note is about to leave: prepare after it
            except Exception:  # never let one bad event end the concert
                log.exception("error while handling %r; carrying on", item)

    def _tell_clock_notes(self) -> None:
        """What the host clock had to say (a phase it cannot know), logged and sent as /djai/error, from
        this thread: the clock is fed on the MIDI driver's thread, which must not wait on a log or a socket."""
        clock = self.engine.host_clock
        if getattr(clock, "phase_notes", None):
            for note in clock.take_notes():
                log.warning("%s", note)
                if self.replies is not None:
                    self.replies.error(note)

    def _note_waiting(self) -> bool:
        """Whether a note (or any command) waits in the queue: asked between the model steps of a rehearsal."""
        return len(self.queue) > 0

    def _accompaniment_busy(self) -> bool:
        """Whether a note waits in the queue or the accompaniment has one due within IDLE_WORK_CLEARANCE_S.

        Called between slices of idle work (a model step, a rehearsed chord), it first gives the core
        back for IDLE_YIELD_S: a real-time thread computing for tens of milliseconds would otherwise hold
        off every ordinary process woken on its core, the host receiving the notes just sent above all
        (measured in scripts/bench_accompany.py: the first harmonizing note waited ~20 ms at the receiver)."""
        time.sleep(IDLE_YIELD_S)
        if self._note_waiting():
            return True
        deadline = self.accompanist.next_deadline()
        return deadline is not None and deadline - time.monotonic() < IDLE_WORK_CLEARANCE_S

    def _handle(self, command: Command, arrival: float) -> None:
        kind, args = command.kind, command.args
        if kind == "note_on":
            if self.settings.mode == "accompany":  # plays along: nothing is interrupted
                # timed at arrival, not when handled: planned notes keep to the performer's beat
                self.engine.note_on(*args, now=arrival)
                self.accompanist.heard_note(*args, now=arrival)
                return
            if self.settings.interrupt and self.settings.channel_in in (0, args[2]):
                self.scheduler.cancel()
            phrase = self.engine.note_on(*args)
            if phrase is not None:
                self._play(phrase)
        elif kind == "note_off":
            self.engine.note_off(*args)
        elif kind == "generate":
            phrase = self.engine.generate(*args)
            if phrase is None:
                self._reject("/djai/generate: nothing to answer yet; play or send some notes first")
            else:
                self._play(phrase)
        elif kind == "set":
            self._set(args[0], args[1:])
        elif kind in ("tempo", "beat"):
            clock = self.engine.host_clock
            if not isinstance(clock, OscClock):
                log.debug("/djai/%s ignored: the clock is %s, not osc", kind, clock.source)
            elif kind == "tempo":
                clock.set_tempo(args[0], arrival)
            else:
                clock.set_beat(args[0], args[1], arrival)
        elif kind == "capabilities":
            self._reply("/djai/capabilities", *self.capability_pairs())
        elif kind == "reset":
            self.engine.reset()
            self.accompanist.reset()
            events.info("reset: the buffer is empty")
            self._reply("/djai/reset")
        elif kind == "panic":
            ended = self.scheduler.panic()
            self.accompanist.rest()  # no plan left to start a note after the panic
            forgotten = self.engine.forget_held()
            log.info("panic: %d sounding note(s) ended, every note ever sent ended, all notes off sent; "
                     "%d held key(s) forgotten", ended, forgotten)
        elif kind == "load":
            log.info("loading model %r", args[0])
            self.loader.request(args[0])
        elif kind == "swap":
            self._swap = args
            self._try_swap()
        elif kind == "load_failed":
            self._reject(f"/djai/load {args[0]}: {args[1]}; still playing {self.model_name!r}")
        elif kind == "ping":
            self._reply("/djai/pong")
        elif kind == "status":
            self._reply("/djai/status", *self.status_pairs())
            self._announce_key(always=True)

    def _try_swap(self) -> None:
        """Swap in a loaded model between answers, when no note is due for a while: notes already
        scheduled play on (the scheduler holds them), and the next answer is the new model's."""
        due = self.scheduler.next_due()
        if due is not None and due - time.monotonic() <= self._prepare_clearance():
            return
        name, generator = self._swap
        self._swap = None
        if self.settings.mode == "accompany" and generator.config.num_instruments < 2:
            self._reject(f"/djai/load {name}: accompany needs a model of several instruments; "
                         f"still playing {self.model_name!r} (set another mode first)")
            return
        started = time.perf_counter()
        self.engine.use_generator(generator)
        if self.settings.mode == "accompany":
            self.accompanist.rest()  # the old model's voices end; the new one starts from silence
        self.accompanist = Accompanist(self.engine, self.scheduler)
        self.generator, self.model_name = generator, name
        self._last_prepare_s = 0.0
        log.info("now playing model %r (swapped in %.1f ms)", name, (time.perf_counter() - started) * 1000.0)
        self._reply("/djai/loaded", name)

    def _set(self, name: str, values: tuple) -> None:
        previous_clock, previous_mode = self.settings.clock, self.settings.mode
        try:
            if name == "mode" and values == ("accompany",):
                try:
                    Accompanist.check_model(self.generator.config.num_instruments)
                except AccompanyError as error:
                    raise SettingError(str(error)) from None
            value = self.settings.set(name, *values)
            if name == "mode" and value != previous_mode and "accompany" in (value, previous_mode):
                self.accompanist.rest()   # its notes end; call and response starts from silence
                self.accompanist.reset()  # and accompaniment from an empty context
            if name == "clock" and value != previous_clock:
                self._switch_clock(value, previous_clock)
            events.info("set %s = %s", name, value.describe() if hasattr(value, "describe") else repr(value))
            self._reply("/djai/set", name, acknowledged_value(value))
            if name in ("scale", "key"):
                self._announce_key()
        except SettingError as error:
            self._reject(f"/djai/set: {error}")

    def _announce_key(self, always: bool = False) -> None:
        """/djai/key (root and scale as two atoms) and /djai/key_words (one symbol) when the scale answers
        keep to changes (key auto follows the performer)."""
        scale = self.engine.sounding_scale()
        words = scale.describe()
        if always or words != self._key_sent:
            self._key_sent = words
            self._reply("/djai/key", *scale.atoms())
            self._reply("/djai/key_words", words)

    def _switch_clock(self, source: str, previous: str) -> None:
        try:
            clock = make_clock(source, lambda: self.settings.beats_per_bar, self.settings.tempo_bpm)
        except ClockError as error:
            self.settings.clock = previous
            raise SettingError(str(error)) from None
        if source == "midi" and self.midi_in is None:
            log.warning("clock midi: no MIDI input is open (--midi-in), so no clock will arrive")
        old, self.engine.host_clock = self.engine.host_clock, clock
        old.close()

    def _play(self, phrase: Phrase) -> None:
        if not phrase.notes:
            return
        if self.replies is not None:
            self.replies.phrase(phrase)
        self.scheduler.play(phrase, start=phrase.anchor)
        self._placement = phrase.placement()
        self._announce_key()
        events.info("phrase %d: %d notes (%s), generated in %.2f ms", phrase.phrase_id, len(phrase.notes),
                    " ".join(str(int(note.pitch)) for note in phrase.notes),
                    self.engine.counters.generate_ms_last)

    def _follow_tempo(self) -> None:
        """Keep the notes still to play of a phrase placed on the host's beats on those beats when the
        host's tempo changes under it (a tempo ramp, a new tempo), instead of finishing at the old one, or
        when the host's beat moves (a MIDI clock recounted after lost ticks)."""
        placement = self._placement
        if placement is None:
            return
        if self.scheduler.pending == 0:
            self._placement = None
            return
        now = time.monotonic()
        position = self.engine.host_position(now)
        if position is None:
            return
        drift_s = abs(placement.beat_at(now) - position.beat) * 60.0 / position.bpm
        if abs(position.bpm / placement.bpm - 1.0) <= TEMPO_FOLLOW_FRACTION and drift_s <= PHASE_FOLLOW_S:
            return
        remap, self._placement = placement.follow(position, now)
        moved = self.scheduler.retime(remap)
        log.debug("host at %.2f BPM (placed at %.2f), %.1f ms off: %d pending events retimed", position.bpm,
                  placement.bpm, drift_s * 1000.0, moved)

    def _reply(self, address: str, *args) -> None:
        if self.replies is not None:
            self.replies.send(address, *args)

    def status_pairs(self) -> list:
        counters = self.engine.counters
        lateness = list(self.scheduler.lateness_ms)
        pairs: list = [("model", self.model_name)]
        pairs += [(name, value if not isinstance(value, bool) else int(value)) for name, value in self.settings.items()]
        pairs += [("notes_in", counters.notes_in), ("phrases_out", counters.phrases_out),
                  ("notes_out", counters.notes_out), ("buffer", len(self.engine.notes)),
                  ("held", self.engine.held), ("sounding", self.scheduler.sounding),
                  ("rejected", self.rejected), ("dropped", self.queue.dropped),
                  ("generate_ms_last", round(counters.generate_ms_last, 3)),
                  ("prepared_used", counters.prepared_used),
                  ("lateness_ms_p99", round(float(np.percentile(lateness, 99)), 3) if lateness else 0.0),
                  ("realtime", int(self.scheduler.realtime.startswith("SCHED_FIFO")))]
        pairs += self._clock_pairs()
        return [item for pair in pairs for item in pair]

    def _clock_pairs(self) -> list[tuple[str, object]]:
        clock = self.engine.host_clock
        now = time.monotonic()
        position = self.engine.host_position(now)
        pairs = [(name, value) for name, value in clock.describe().items() if name != "clock"]
        pairs += [("tempo", round(self.engine.bpm(now), 3)),
                  ("beat", round(position.beat, 3) if position is not None else -1.0),
                  ("sounding_scale", self.engine.sounding_scale().describe())]
        return pairs

    def capability_pairs(self) -> list:
        """What a patch needs to configure itself: the model's facts and every parameter's range."""
        config = self.generator.config
        pairs: list = [("model", self.model_name), ("model_type", config.model_type),
                       ("instruments", config.num_instruments), ("sequence_length_i", config.sequence_length_i),
                       ("sequence_length_o", config.sequence_length_o)]
        for name, (kind, low, high) in self.settings.RANGES.items():
            if isinstance(kind, tuple):
                description = "choice " + " ".join(kind)
            elif kind is bool:
                description = "bool 0 1"
            elif kind in (int, float):
                description = f"{kind.__name__} {low:g} {high:g}"
            else:
                description = "scale NAME [ROOT] | custom PC..."
            pairs.append((f"param:{name}", description))
        pairs += [("scales", " ".join(SCALES)), ("grids", " ".join(GRIDS)),
                  ("clocks", " ".join(available_sources())),
                  ("midi_in", self.midi_in.describe() if self.midi_in is not None else ""),
                  ("midi_out", self.midi_out.describe() if self.midi_out is not None else "")]
        return [item for pair in pairs for item in pair]


def serve(options: ServeOptions, settings: LiveSettings) -> int:
    """Run until SIGINT/SIGTERM; every outstanding note-off is sent before returning 0."""
    single_threaded_blas()
    daemon = Daemon(options, settings)
    signal.signal(signal.SIGINT, daemon.request_stop)
    signal.signal(signal.SIGTERM, daemon.request_stop)
    daemon.start()
    views = daemon.generator.config.average_transpositions
    print(f"djai-live ready: model {options.model}"
          + (f" (averaged over transpositions -{views}..+{views})" if views else "") + f", mode {settings.mode}"
          + (f", OSC in {options.osc_host}:{options.osc_port} -> replies {options.reply_host}:{options.reply_port}"
             if options.osc else "")
          + (f", MIDI in {daemon.midi_in.describe()}" if daemon.midi_in else "")
          + (f", MIDI out {daemon.midi_out.describe()}" if daemon.midi_out else ""), flush=True)
    daemon.wait()
    daemon.stop()
    return 0
