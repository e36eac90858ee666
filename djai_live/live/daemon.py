"""`djai-live serve`: wires the listening state, the policy, the command path, the event stream and the
OSC/MIDI edges, and runs until a signal.

Threads: the edges receive on their own threads and queue commands; the engine thread (``djai-engine``)
takes them one at a time through the conductor (:mod:`.conductor`), then lets the policy do what is due
and work ahead; the scheduler's thread sends each note at its time. Everything the daemon does goes out
once, on the event stream (:mod:`.events`), to the OSC replies, the MIDI output and any other subscriber.
"""
from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from ..generation import Generator
from ..model_files import resolve_model_path
from ..runtime import single_threaded_blas
from .clock import make_clock
from .commands import Command
from .conductor import Conductor, lateness_p99
from .controls import ControlFeedback, MidiControls
from .events import ErrorRaised, EventStream, PortChanged
from .jack import JackMessages
from .listening import ListeningState
from .loader import ModelLoader, warm_up
from .midi_clock import MidiClock
from .midi import ControlInput, MidiInput, MidiOutput, MidiPort, MidiSink
from .osc import OscListener, OscReplies
from .page_edge import PageEdge
from .playback import Playback
from .ports import PortWatcher
from .protocol import ProtocolError, parse
from .queue import DropOldestQueue
from .realtime import DEFAULT_PRIORITY, request_realtime
from .scheduler import ALL_CHANNELS, Scheduler
from .settings import LiveSettings
from .keeping import TakeKeeping
from .serve_options import ServeOptions

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")
GIL_SWITCH_S = 0.0005        # the scheduler thread gets the interpreter within this when a note is due
HELPER_PRIORITY = DEFAULT_PRIORITY - 1  # the engine and OSC threads, when real-time scheduling is asked for
TRANSPORT_MESSAGES = {"stop": "pause", "start": "start", "continue": "continue"}  # MIDI realtime -> transport
SETTLE_S = 0.05  # work ahead waits until no setting has changed for this long: a knob being turned
IDLE_TIMEOUT_S = 0.25        # the engine thread looks up at least this often (a stop, a clock's notes)


class Daemon:
    """One running co-improviser. ``start()`` returns once it listens; ``stop()`` ends every note."""

    def __init__(self, options: ServeOptions, settings: LiveSettings | None = None,
                 generator: Generator | None = None) -> None:
        self.options = options
        generator = generator or Generator.from_file(options.model, options.average_transpositions)
        settings = settings or LiveSettings(length=generator.config.sequence_length_o)
        self.listening = ListeningState(generator, settings, seed=options.seed)
        self.listening.instruments = options.instruments
        self.listening.host_clock = make_clock(settings.clock, lambda: settings.beats_per_bar, settings.tempo_bpm)
        self.settings = settings
        self.queue = DropOldestQueue(options.queue_size)
        self.stream = EventStream()
        self.replies = OscReplies(options.reply_host, options.reply_port) if options.osc else None
        if self.replies is not None:
            self.stream.subscribe_inline(self.replies)
        self._stop = threading.Event()
        self._last_set = 0.0  # when a /djai/set (or a CC's) last arrived: see _note_waiting
        self.listener: OscListener | None = None
        self.midi_in: MidiInput | None = None
        self.midi_out: MidiOutput | None = None
        self.watcher: PortWatcher | None = None
        self.page: PageEdge | None = None
        self.control_in: ControlInput | None = None
        self.controls = MidiControls(options.midi_map)
        self.jack_messages = JackMessages()
        if options.midi_in or options.midi_out or options.midi_control:
            self.jack_messages.install()
        if options.midi_out:
            self.midi_out = MidiOutput(options.midi_out, options.midi_api).open()
            self.stream.subscribe_inline(MidiSink(self.midi_out))
            if options.midi_feedback:
                self.stream.subscribe_inline(ControlFeedback(self.controls, self.midi_out.send_bytes))
        self.scheduler = Scheduler(self.stream.publish,
                                   realtime_priority=DEFAULT_PRIORITY if options.realtime else None)
        self.playback = Playback(self.scheduler, self.stream.publish, self.listening.host_position)
        models_dir = Path(options.models_dir) if options.models_dir else resolve_model_path(options.model).parent
        self.loader = ModelLoader(models_dir, options.average_transpositions, self._model_loaded, self._model_failed)
        self.keeping = TakeKeeping(options.record, options.take_silence_s, self.stream, self.listening, self.loader,
                                   str(options.model), lambda: self.conductor.model_name,
                                   HELPER_PRIORITY if options.realtime else None, options.adapt_every_s,
                                   self.submit) if options.record else None
        keeping = self.keeping
        self.conductor = Conductor(str(options.model), self.listening, self.playback,
                                   self.stream.publish, self.loader.request, self._edge_facts,
                                   options.prepare_answers, self.controls,
                                   keeping.recorder if keeping else None, keeping.adapter if keeping else None)
        self.listening.between_steps = lambda: self.conductor.serve_mid_draw(self.queue)
        self._thread = threading.Thread(target=self._conduct, name="djai-engine", daemon=True)

    @property
    def generator(self) -> Generator:
        """The model playing now (a /djai/load swaps it)."""
        return self.conductor.generator

    # --- life cycle --------------------------------------------------------------------------------
    def start(self) -> Daemon:
        # Every input is bound first: a daemon that cannot run (a port another one holds) must leave before
        # it sends anything, or its start-up all-notes-off would silence the set that is playing.
        self._open_inputs()
        if self.keeping is not None:
            try:
                self.keeping.start()
            except OSError:
                self._close_unstarted()
                raise
        sys.setswitchinterval(GIL_SWITCH_S)  # the default 5 ms would let a busy thread delay a due note
        log.info("model warmed up in %.1f ms", warm_up(self.generator))  # the first answer: no cold caches
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
        if self.listener is not None and self.replies is not None:
            self.listener.start()
            log.info("OSC in on %s:%d, replies to %s:%d", *self.listener.address, *self.replies.target)
        if self.midi_in is not None:
            log.info("MIDI in: %s", self.midi_in.describe())
        if self.control_in is not None:
            log.info("MIDI control in: %s", self.control_in.describe())
        if self.midi_out is not None:
            log.info("MIDI out: %s", self.midi_out.describe())
        # output first, as at start: JACK then names the clients in the same order after a restart
        self.watcher = PortWatcher([self.midi_out, self.midi_in, self.control_in], self._port_changed).start()
        return self

    def _open_inputs(self) -> None:
        """Bind the OSC socket and open the MIDI input; raises OSError or MidiPortError, having sent nothing
        (what arrives before the engine runs waits in the queue)."""
        helper_priority = HELPER_PRIORITY if self.options.realtime else None
        try:
            if self.options.osc:
                if self.options.osc_host not in LOOPBACK:
                    log.warning("OSC listens on %s, not only on this machine: anyone who can reach port %d "
                                "can play through djai-live", self.options.osc_host, self.options.osc_port)
                self.listener = OscListener(self.options.osc_host, self.options.osc_port, self._on_osc,
                                            self.reject, helper_priority)
            if self.options.ui_port is not None:  # the live page: its server starts now, in its own process
                self.page = PageEdge(self.options.ui_host, self.options.ui_port, self.stream, self.submit,
                                     self.reject, self.loader.models_dir, helper_priority).start()
            if self.options.midi_in:
                self.midi_in = MidiInput(self.options.midi_in, self.options.midi_api, self.submit,
                                         self._on_midi_realtime, helper_priority,
                                         to_command=self.controls.command_for).open()
            if self.options.midi_control:
                self.control_in = ControlInput(self.options.midi_control, self.options.midi_api, self.submit,
                                               None, helper_priority,
                                               to_command=self.controls.control_command).open()
        except BaseException:
            self._close_unstarted()
            raise

    def _close_unstarted(self) -> None:
        """A start that failed: close what was opened, without a note or a note-off to anyone."""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        for port in (self.midi_in, self.control_in, self.midi_out, self.page):
            if port is not None:
                port.close()
        self.jack_messages.uninstall()

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
        for edge in (self.listener, self.page):
            if edge is not None:
                edge.close()
        if self.midi_in is not None:
            self.midi_in.close()
        if self.control_in is not None:
            self.control_in.close()
        self._thread.join(timeout=2.0)
        if self.keeping is not None:
            self.keeping.stop_adapting()
        self.loader.close()
        ended = self.scheduler.close()  # all notes off: the known note-offs, every pitch ever sent, CC 123/120
        self.stream.close()
        if self.keeping is not None:
            self.keeping.close()
        if self.midi_out is not None:
            self.midi_out.close()
        self.listening.host_clock.close()
        self.jack_messages.uninstall()
        log.info("stopped; %d sounding note(s) ended", ended)
        return ended

    # --- the edges' way in -----------------------------------------------------------------------------
    def submit(self, command: Command, arrival: float | None = None) -> None:
        """Queue a command from any edge, from any thread (control commands in their own lane)."""
        now = time.monotonic()
        if command.kind == "set":
            self._last_set = now  # (a float, written whole: read on the engine thread without a lock)
        # A panic is silence now: served ahead of the notes waiting, it must take them with it, or they would
        # play after it (in one step: a note queued between a drop and the panic would slip through).
        superseded = self.queue.put((command, now if arrival is None else arrival), control=not command.is_note,
                                    supersede_notes=command.kind == "panic")
        if superseded:
            log.info("panic: %d performer note(s) still waiting in the queue dropped", superseded)

    def reject(self, message: str) -> None:
        """What an edge could not parse: counted and said like any rejected command."""
        self.conductor.reject(message)

    def _on_osc(self, address: str, args: list, arrival: float) -> None:
        try:
            command = parse(address, args)
        except ProtocolError as error:
            self.reject(str(error))
            return
        self.submit(command, arrival)

    def _on_midi_realtime(self, kind: str, arrival: float, position: int | None) -> None:
        clock = self.listening.host_clock  # read once: /djai/set clock may swap it from the engine thread
        if isinstance(clock, MidiClock):
            clock.feed(kind, arrival, position)
            if kind in TRANSPORT_MESSAGES:  # following the host's clock, its transport is followed too
                self.submit(Command("transport", (TRANSPORT_MESSAGES[kind],)), arrival)

    def _port_changed(self, state: str, port: MidiPort, text: str) -> None:
        """A watched MIDI port's device went or came back (the watcher's thread)."""
        if state == "gone":
            log.warning("%s", text)
            self.stream.publish(ErrorRaised(text))
        else:
            log.info("%s", text)
            if port is self.midi_in:
                self.conductor.lose_midi_clock_phase(f"MIDI input {port.device or port.wanted!r} was reopened")
        self.stream.publish(PortChanged("control" if port is self.control_in else
                                        "in" if isinstance(port, MidiInput) else "out", state,
                                        port.device or port.wanted))

    def _model_loaded(self, name: str, generator: Generator, path: Path) -> None:
        """The loader's thread: hand the model to the engine thread, which swaps it between answers."""
        if self.keeping is not None:
            self.keeping.model_loaded(name, path)
        self.submit(Command("swap", (name, generator)))

    def _model_failed(self, name: str, reason: str) -> None:
        self.submit(Command("load_failed", (name, reason)))

    def _edge_facts(self) -> dict:
        scheduler = self.scheduler
        return {"sounding": scheduler.sounding, "lateness_ms_p99": lateness_p99(list(scheduler.lateness_ms)),
                "realtime": scheduler.realtime.startswith("SCHED_FIFO"), "dropped": self.queue.dropped,
                "events_dropped": self.stream.dropped, "midi_in_open": self.midi_in is not None,
                "midi_in": self.midi_in.describe() if self.midi_in is not None else "",
                "midi_out": self.midi_out.describe() if self.midi_out is not None else ""}

    # --- the engine thread ---------------------------------------------------------------------------
    def _conduct(self) -> None:
        if self.options.realtime:
            # Below the scheduler, above every ordinary process: a busy machine must not preempt this
            # thread while it holds the interpreter lock, or the scheduler waits for it (measured in
            # scripts/bench_faults.py)
            request_realtime(HELPER_PRIORITY)
        conductor, queue = self.conductor, self.queue
        note_waiting = self._note_waiting
        while not self._stop.is_set():
            item = queue.get(self._timeout())
            try:
                if item is not None:
                    conductor.dispatch(*item)
                self.playback.follow_host()
                self._tell_clock_notes()
                conductor.try_swap()
                if len(queue) == 0:  # notes that have arrived go first
                    conductor.policy.due(time.monotonic())
                    conductor.policy.idle(note_waiting)
            except Exception:  # never let one bad event end the concert
                log.exception("error while handling %r; carrying on", item)

    def _timeout(self) -> float:
        """How long the engine thread may wait for a command before something else is due."""
        policy, now = self.conductor.policy, time.monotonic()
        wake = [policy.next_deadline(), self.playback.next_look()]
        if self.conductor.swap_waiting is not None:
            wake.append(now + policy.clearance_s())
        times = [t for t in wake if t is not None]
        return min([IDLE_TIMEOUT_S] + [max(0.0, t - now) for t in times])

    def _note_waiting(self) -> bool:
        """Whether a note (or any command) waits in the queue: asked between the steps of idle work. While
        a knob turns (a setting changed within SETTLE_S) the answer prepared would be stale at its next
        step, and preparing it again and again would hold the engine thread from the knob's next value."""
        return len(self.queue) > 0 or time.monotonic() - self._last_set < SETTLE_S

    def _tell_clock_notes(self) -> None:
        """What the host clock had to say (a phase it cannot know), logged and said as an error, from
        this thread: the clock is fed on the MIDI driver's thread, which must not wait on a log or a socket."""
        clock = self.listening.host_clock
        if isinstance(clock, MidiClock) and clock.phase_notes:
            for note in clock.take_notes():
                log.warning("%s", note)
                self.stream.publish(ErrorRaised(note))


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
          + (f", MIDI out {daemon.midi_out.describe()}" if daemon.midi_out else "")
          + (f", page {daemon.page.url}" if daemon.page else ""), flush=True)
    daemon.wait()
    daemon.stop()
    return 0
