"""The one command path: every command from every edge is dispatched here, by one table, on the engine thread.

An edge (OSC, the MIDI input, the model loader, and those to come) parses its wire format into a
:class:`~.commands.Command` and queues it; the conductor validates what is left (a setting's value, a mode
the model cannot play), changes the listening state, the policy or the settings, and says what happened on
the event stream: an acknowledgement, a reply, or an error. So every edge gets the same checks and answers.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..generation import Generator
from ..scales import SCALES
from .clock import ClockError, OscClock, available_sources, make_clock
from .midi_clock import MidiClock
from .commands import Command
from .events import ErrorRaised, Event, KeyChanged, NoteHeard, NoteReleased, Reply, SettingChanged
from .grid import GRIDS
from .listening import ListeningState
from .playback import Playback
from .policy import Policy, PolicyError, policy_for
from .settings import LiveSettings, SettingError
from .steering import Steering

if TYPE_CHECKING:
    from .controls import MidiControls
    from .queue import DropOldestQueue
from .adapt import DEFAULT_SECONDS, AdaptError, Adapter
from .takes import TakeRecorder

log = logging.getLogger(__name__)
events = logging.getLogger("djai_live.events")  # each setting change: shown with -v

Handler = Callable[[tuple, float], None]


class Conductor:
    """Holds the policy playing, the model and the settings; thread-confined to the engine thread.

    ``request_load(name)`` hands a /djai/load to the loader; ``edge_facts()`` gives what only the edges
    know, for /djai/status and /djai/capabilities (sounding, lateness_ms_p99, realtime, dropped, midi_in,
    midi_out, midi_in_open).
    """

    def __init__(self, model_name: str, listening: ListeningState, playback: Playback,
                 publish: Callable[[Event], None], request_load: Callable[[str], None],
                 edge_facts: Callable[[], dict], prepare_answers: bool = True,
                 controls: MidiControls | None = None, recorder: TakeRecorder | None = None,
                 adapter: Adapter | None = None) -> None:
        self.model_name = model_name
        self.listening = listening
        self.settings: LiveSettings = listening.settings
        self.playback = playback
        self.publish = publish
        self.request_load = request_load
        self.edge_facts = edge_facts
        self.prepare_answers = prepare_answers
        self.recorder = recorder
        self.adapter = adapter
        self.rejected = 0
        self.swap_waiting: tuple[str, Generator] | None = None  # loaded, waiting for a gap between notes
        self._key_sent: str | None = None
        listening.key_changed = self.announce_key
        self.policy: Policy = policy_for(self.settings.mode, listening, playback, prepare_answers=prepare_answers)
        self.table: dict[str, Handler] = {
            "note_on": self._heard_note_on,
            "note_off": self._heard_note_off,
            "generate": self._generate,
            "set": lambda args, arrival: self.set(args[0], args[1:]),
            "tempo": lambda args, arrival: self._host_clock_message("tempo", args, arrival),
            "beat": lambda args, arrival: self._host_clock_message("beat", args, arrival),
            "capabilities": lambda args, arrival: self.publish(Reply("capabilities", tuple(self.capability_pairs()),
                                                                    *args)),
            "reset": self._reset,
            "panic": self._panic,
            "load": self._load,
            "swap": self._swap,
            "load_failed": lambda args, arrival: self.reject(
                f"/djai/load {args[0]}: {args[1]}; still playing {self.model_name!r}"),
            "ping": lambda args, arrival: self.publish(Reply("pong")),
            "status": self._status,
            "record": self._record,
            "adapt": self._adapt,
        }
        self.steering = Steering(self, controls)  # the pedal, stop now, the host's transport, MIDI learn
        self.table.update(self.steering.handlers())

    @property
    def generator(self) -> Generator:
        """The model playing: the listening state's (a swap changes it there)."""
        return self.listening.generator

    def dispatch(self, command: Command, arrival: float) -> None:
        handler = self.table.get(command.kind)
        if handler is None:
            self.reject(f"unknown command {command.kind!r}")
            return
        handler(command.args, arrival)

    def serve_mid_draw(self, queue: DropOldestQueue) -> None:
        """Between the model steps of an answer being drawn: the settings at the head of the control lane are
        served now, not after the answer (64 notes are ~20 ms of steps; a knob turned meanwhile would wait
        that long). Only the head's: nothing overtakes a command before it. See Command.served_mid_draw."""
        while (item := queue.pop_control_if(lambda item: item[0].served_mid_draw)) is not None:
            try:
                self.dispatch(*item)
            except Exception:  # the draw must go on: a failing set is that set's problem
                log.exception("error while handling %r between the steps of an answer; carrying on", item)

    def reject(self, message: str) -> None:
        """A command that cannot be carried out: counted, logged and said on the event stream."""
        self.rejected += 1
        log.warning("rejected: %s", message)
        self.publish(ErrorRaised(message))

    # --- the handlers --------------------------------------------------------------------------------
    # A heard note is said on the stream after the policy has taken it: an answer it starts never waits.
    def _heard_note_on(self, args: tuple, arrival: float) -> None:
        self.policy.heard_note_on(args[0], args[1], args[2], arrival)
        self.publish(NoteHeard(args[0], args[1], args[2], arrival))

    def _heard_note_off(self, args: tuple, arrival: float) -> None:
        self.policy.heard_note_off(args[0], args[1], arrival)
        self.publish(NoteReleased(args[0], args[1], arrival))

    def _generate(self, args: tuple, arrival: float) -> None:
        try:
            self.policy.generate(args[0] if args else None)
        except PolicyError as error:
            self.reject(f"/djai/generate: {error}")

    def _host_clock_message(self, kind: str, args: tuple, arrival: float) -> None:
        clock = self.listening.host_clock
        if not isinstance(clock, OscClock):
            log.debug("/djai/%s ignored: the clock is %s, not osc", kind, clock.source)
        elif kind == "tempo":
            clock.set_tempo(args[0], arrival)
        else:
            clock.set_beat(args[0], args[1], arrival)

    def _reset(self, args: tuple, arrival: float) -> None:
        self.listening.reset()
        self.policy.reset()
        events.info("reset: the buffer is empty")
        self.publish(Reply("reset"))

    def _panic(self, args: tuple, arrival: float) -> None:
        ended = self.playback.panic()
        self.policy.rest()  # no plan left to start a note after the panic
        forgotten = self.listening.forget_held()
        log.info("panic: %d sounding note(s) ended, every note ever sent ended, all notes off sent; "
                 "%d held key(s) forgotten", ended, forgotten)

    def _load(self, args: tuple, arrival: float) -> None:
        log.info("loading model %r", args[0])
        self.request_load(args[0])

    def _swap(self, args: tuple, arrival: float) -> None:
        self.swap_waiting = args
        self.try_swap()

    def _record(self, args: tuple, arrival: float) -> None:
        if self.recorder is None:
            self.reject("/djai/record: no folder for takes; start serve with --record DIR (or record = \"DIR\" "
                        "in the [serve] table of the config file)")
            return
        self.recorder.set_recording(bool(args[0]))
        log.info("recording %s: takes go to %s", "on" if args[0] else "off", self.recorder.folder)
        self.publish(Reply("record", (int(bool(args[0])), str(self.recorder.folder))))

    def _adapt(self, args: tuple, arrival: float) -> None:
        if self.adapter is None:
            self.reject("/djai/adapt: no takes to learn from; start serve with --record DIR and play")
            return
        seconds = float(args[0]) if args else DEFAULT_SECONDS
        try:
            output = self.adapter.start(seconds)
        except AdaptError as error:
            self.reject(f"/djai/adapt: {error}; still playing {self.model_name!r}")
            return
        self.publish(Reply("adapt", ("started", seconds, str(output))))

    def _status(self, args: tuple, arrival: float) -> None:
        """``args``: none from OSC; an edge's name (the page's polls) when only that edge should hear it."""
        self.publish(Reply("status", tuple(self.status_pairs()), *args))
        if not args:
            self.announce_key(always=True)

    # --- what they change ----------------------------------------------------------------------------
    def try_swap(self) -> None:
        """Swap in a loaded model between answers, when no note is due for a while: notes already
        scheduled play on (the scheduler holds them), and the next answer is the new model's."""
        if self.swap_waiting is None:
            return
        due = self.playback.next_due()
        if due is not None and due - time.monotonic() <= self.policy.clearance_s():
            return
        name, generator = self.swap_waiting
        self.swap_waiting = None
        try:
            type(self.policy).check_model(generator.config)
        except PolicyError as error:
            self.reject(f"/djai/load {name}: {error}; still playing {self.model_name!r} (set another mode first)")
            return
        started = time.perf_counter()
        self.policy.use_generator(generator)
        self.model_name = name
        log.info("now playing model %r (swapped in %.1f ms)", name, (time.perf_counter() - started) * 1000.0)
        self.publish(Reply("loaded", (name,)))

    def set(self, name: str, values: tuple) -> None:
        """/djai/set (or a serve flag's edge): validated, stored, acknowledged; or rejected, unchanged."""
        previous_clock, previous_mode = self.settings.clock, self.settings.mode
        try:
            value = self.settings.set(name, *values)
            if name == "mode":
                try:
                    self.policy = policy_for(str(value), self.listening, self.playback, self.policy,
                                             self.prepare_answers)
                except PolicyError as error:
                    self.settings.mode = previous_mode
                    raise SettingError(str(error)) from None
            if name == "clock" and value != previous_clock:
                self._switch_clock(str(value), previous_clock)
            events.info("set %s = %s", name, value.describe() if hasattr(value, "describe") else repr(value))
            self.publish(SettingChanged(name, value))
            if name in ("scale", "key"):
                self.announce_key()
        except SettingError as error:
            self.reject(f"/djai/set: {error}")

    def _switch_clock(self, source: str, previous: str) -> None:
        try:
            clock = make_clock(source, lambda: self.settings.beats_per_bar, self.settings.tempo_bpm)
        except ClockError as error:
            self.settings.clock = previous
            raise SettingError(str(error)) from None
        if source == "midi" and not self.edge_facts()["midi_in_open"]:
            log.warning("clock midi: no MIDI input is open (--midi-in), so no clock will arrive")
        old, self.listening.host_clock = self.listening.host_clock, clock
        old.close()
        self.playback.transport_stopped = False  # a MIDI Stop's hold ends with the clock that sent it

    def announce_key(self, always: bool = False) -> None:
        """The scale answers keep to, when it changes (key auto follows the performer) or when asked."""
        scale = self.listening.sounding_scale()
        words = scale.describe()
        if always or words != self._key_sent:
            self._key_sent = words
            self.publish(KeyChanged(tuple(scale.atoms()), words))

    def lose_midi_clock_phase(self, reason: str) -> None:
        """The MIDI input came back: where the host's song is can no longer be known until Start or SPP."""
        clock = self.listening.host_clock
        if isinstance(clock, MidiClock):
            clock.lose_phase(reason)

    # --- what /djai/status and /djai/capabilities say ------------------------------------------------
    def status_pairs(self) -> list:
        counters, listening, edges = self.listening.counters, self.listening, self.edge_facts()
        pairs: list = [("model", self.model_name)]
        pairs += [(name, value if not isinstance(value, bool) else int(value)) for name, value in self.settings.items()]
        pairs += [("notes_in", counters.notes_in), ("phrases_out", counters.phrases_out),
                  ("notes_out", counters.notes_out), ("buffer", len(listening.notes)),
                  ("held", listening.held), ("sounding", edges["sounding"]),
                  ("rejected", self.rejected), ("dropped", edges["dropped"]),
                  ("events_dropped", edges["events_dropped"]),
                  ("generate_ms_last", round(counters.generate_ms_last, 3)),
                  ("prepared_used", counters.prepared_used),
                  ("lateness_ms_p99", edges["lateness_ms_p99"]),
                  ("realtime", int(edges["realtime"])),
                  ("transport_stopped", int(self.playback.transport_stopped))]
        recorder = self.recorder
        pairs += [("recording", int(recorder is not None and recorder.recording)),
                  ("take", str((recorder.take.path if recorder.take is not None else recorder.last_path) or "")
                   if recorder is not None else "")]
        pairs += [("adapting", int(self.adapter is not None and self.adapter.running))]
        pairs += self._clock_pairs()
        pairs += self.steering.controls.map.pairs()
        return [item for pair in pairs for item in pair]

    def _clock_pairs(self) -> list[tuple[str, object]]:
        listening = self.listening
        now = time.monotonic()
        position = listening.host_position(now)
        pairs = [(name, value) for name, value in listening.host_clock.describe().items() if name != "clock"]
        pairs += [("tempo", round(listening.bpm(now), 3)),
                  ("beat", round(position.beat, 3) if position is not None else -1.0),
                  ("sounding_scale", listening.sounding_scale().describe())]
        return pairs

    def capability_pairs(self) -> list:
        """What a patch needs to configure itself: the model's facts and every parameter's range."""
        config, edges = self.generator.config, self.edge_facts()
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
                  ("midi_in", edges["midi_in"]), ("midi_out", edges["midi_out"])]
        pairs += self.steering.controls.map.pairs()
        return [item for pair in pairs for item in pair]


def lateness_p99(lateness_ms: list[float]) -> float:
    """The 99th percentile of the scheduler's lateness (ms), rounded as status says it; 0 before any note."""
    return round(float(np.percentile(lateness_ms, 99)), 3) if lateness_ms else 0.0
