"""Which voice plays which pitch in the accompaniment: registers, the scale, the leap limit, voice leading,
the joint draw.

Each of the model's instruments is a voice: pitches in the voice's register (the model's
``instrument_ranges``, narrowed by pitch_min/pitch_max), in the sounding scale, within max_leap of the
voice's previous note; instrument i on channel i + 1 unless --output-map says otherwise.

Voice leading (setting ``voice_leading``, rules in :mod:`djai_live.voice_leading`) against every other
voice, the performer's included, top voice first by the registers the model stores: no crossing, no
parallel perfect fifths or octaves, no unison with a neighbouring voice, no more than an octave between
neighbouring upper voices.

- ``strict``: all four. Pitches that break a rule are not drawn. A voice that cannot keep them all waits
  while another voice of the chord can; when none can, the rules give way one at a time in the order of
  :data:`~djai_live.voice_leading.RELAXATION_ORDER` (spacing, unison, parallels, crossing) until a
  pitch is left; the register and the scale never give way, so a note is always drawn.
- ``loose`` (the default): the same without the unison rule.
- ``off``: the model's own choice within register, scale and leap.
"""
from __future__ import annotations

import numpy as np

from ..sampling import sample_index
from ..voice_leading import RELAXATION_ORDER, RULES, VoiceLeadingRules, instrument_order
from .band import DURATION, VELOCITY, Voice
from .grid import grid_step, snap
from .listening import ListeningState

MIN_DURATION_MS = 10.0  # the shortest note a voice sounds
# The rules each setting keeps. Unisons cost the most consonance with the performer (a voice kept off its
# neighbour's pitch takes a less likely one; measured in docs/harmonizer.md), and Bach doubles at the
# unison himself in 7.6% of chords: loose lets them be.
KEPT = {"strict": RULES, "loose": ("crossing", "parallels", "spacing"), "off": ()}


class Voicing:
    """Reads the listening state's settings, instrument map and sounding scale; keeps no state but a cache."""

    def __init__(self, listening: ListeningState) -> None:
        self.listening = listening
        self._scale_cache: tuple | None = None
        self._rules_cache: tuple | None = None
        self.relaxed = 0  # strict draws where a rule gave way (no pitch of any free voice kept them all)
        self.rules_kept: tuple[str, ...] | None = None  # instead of the setting's (bench_accompany.py --rules)

    def rules(self) -> VoiceLeadingRules:
        """The voice-leading rules for the current model (its instruments, top voice first)."""
        config = self.listening.config
        if self._rules_cache is None or self._rules_cache[0] is not config:
            order = instrument_order(config.num_instruments, config.instrument_ranges)
            self._rules_cache = (config, VoiceLeadingRules(order))
        return self._rules_cache[1]

    def own_instruments(self, heard: set[int]) -> list[int]:
        """The instruments the daemon plays: those of the model that no input channel is mapped to and
        the performer has not played (``heard``; by default the performer plays instrument 0)."""
        taken = set(self.listening.instruments.inputs.values()) or {0}
        taken |= heard
        return [i for i in range(self.listening.config.num_instruments) if i not in taken]

    def register(self, instrument: int) -> tuple[int, int]:
        """The pitches a voice may play: its range in the training data within pitch_min..pitch_max."""
        settings = self.listening.settings
        low, high = settings.pitch_min, settings.pitch_max
        ranges = self.listening.config.instrument_ranges
        if ranges is not None and instrument < len(ranges):
            voice_low, voice_high = ranges[instrument]
            if voice_low <= high and voice_high >= low:  # the global range wins when they do not meet
                low, high = max(low, voice_low), min(high, voice_high)
        return low, high

    def ended_by(self, own: list[int], voices: dict[int, Voice], at: float) -> list[int]:
        """The voices of ``own`` whose note has ended by ``at`` (engine clock), or all of them when none has:
        a voice's own next note never cuts the one it sounds, so duration_ms as announced is the note's
        length unless the performer's next note ends it (:meth:`.accompany.Accompaniment._planned_time`
        then waits for the voice)."""
        ended = [voice for voice in own if voice not in voices or voices[voice].ends_at <= at + 1e-6]
        return ended or own

    def planned_time(self, start: float, beats: float, now: float) -> float:
        """The engine time ``beats`` after ``start``, at the host's tempo, on the host's grid when there is
        one; never in the past."""
        listening = self.listening
        position = listening.host_position(now)
        step = grid_step(listening.settings.grid)
        if position is None or step is None:
            bpm = position.bpm if position is not None else listening.settings.tempo_bpm
            return max(start + beats * 60.0 / bpm, now)
        beat = position.beat + (start - now) * position.bpm / 60.0 + beats
        snapped, _ = snap(np.array([beat]), np.array([step]), step, listening.settings.swing)
        target = float(snapped[0])
        while target < position.beat:  # a grid point already passed: the next one
            target += step
        return position.time_of(target, now)

    def sounding(self, token: np.ndarray, now: float) -> tuple[int, float]:
        """The velocity and the duration (ms) a drawn note sounds with: on the host's grid when there is one."""
        listening = self.listening
        codec = listening.generator.codec
        beats = float(codec.time.decode([token[DURATION]])[0])
        step = grid_step(listening.settings.grid)
        if step is not None and listening.host_position(now) is not None:
            beats = max(round(beats / step), 1) * step
        duration_ms = max(beats * 60_000.0 / listening.bpm(now), MIN_DURATION_MS)
        velocity = round(int(codec.velocity.decode([token[VELOCITY]])[0]) * listening.settings.velocity_scale)
        return int(min(127, max(1, velocity))), duration_ms

    def channel_of(self, instrument: int) -> int:
        """Instrument i on channel i + 1 unless --output-map says otherwise."""
        return self.listening.instruments.outputs.get(instrument, min(instrument + 1, 16))

    def draw_voice_and_pitch(self, logits: dict, candidates: list[int], voices: dict[int, Voice],
                             rng: np.random.Generator, sounding: dict[int, int] | None = None,
                             before: dict[int, int] | None = None) -> tuple[int, int]:
        """The instrument and the pitch of the next note, drawn together: the model's heads are
        independent given the context, so pitch alone is a mixture over the voices it expects next. A pair
        (voice, pitch) weighs p(voice) * p(pitch), only where the pitch lies in that voice's register, so
        the pitch the model means for the bass goes to the bass, not to whichever voice was drawn first.
        ``sounding``/``before``: what every voice sounds at the chord the note joins and sounded at the
        chord before (the voice-leading rules' view; None: no voice leading)."""
        settings = self.listening.settings
        voice_logits = np.asarray(logits["instrument"], np.float64)[candidates]
        pitch_logits = np.asarray(logits["pitch"], np.float64)
        scale = self._scale_mask()
        allowed = np.stack([self.allowed_pitches(voice, scale, voices.get(voice)) for voice in candidates])
        if settings.voice_leading != "off" and sounding is not None and before is not None:
            allowed = self._lead_voices(candidates, allowed, sounding, before)
        joint = np.where(allowed, voice_logits[:, None] + pitch_logits[None, :], -np.inf)
        index = sample_index(joint.ravel(), rng, settings.temperature, settings.top_p)
        row, pitch = divmod(index, 128)
        return candidates[row], pitch

    def _lead_voices(self, candidates: list[int], allowed: np.ndarray, sounding: dict[int, int],
                     before: dict[int, int]) -> np.ndarray:
        """The allowed (voice, pitch) pairs under the voice-leading rules the setting keeps."""
        kept_rules = self.rules_kept if self.rules_kept is not None else KEPT[self.listening.settings.voice_leading]
        order = [rule for rule in RELAXATION_ORDER if rule in kept_rules]
        if not order:
            return allowed
        rules = self.rules()
        broken = [rules.breaks(voice, sounding, before) for voice in candidates]
        for given_up in range(len(order)):
            kept = order[given_up:]
            breaking = np.stack([np.logical_or.reduce([rows[rule] for rule in kept]) for rows in broken])
            keeping = allowed & ~breaking
            if keeping.any():
                self.relaxed += given_up > 0
                return keeping
        self.relaxed += 1
        return allowed  # every rule given up: the register and the scale alone

    def _scale_mask(self) -> np.ndarray:
        """The sounding scale's 128 booleans, computed again only when the scale changes (it is on the
        path from a performer's note to its harmony)."""
        scale = self.listening.sounding_scale()
        if self._scale_cache is None or self._scale_cache[0] is not scale:
            self._scale_cache = (scale, scale.mask())
        return self._scale_cache[1]

    def allowed_pitches(self, instrument: int, scale: np.ndarray, voice: Voice | None) -> np.ndarray:
        """The voice's register, in the sounding scale, within max_leap of its previous note (the leap
        limit gives way when nothing allowed lies that close, never the scale or the register)."""
        low, high = self.register(instrument)
        allowed = np.zeros(128, bool)
        allowed[low:high + 1] = True
        in_scale = allowed & scale
        if in_scale.any():
            allowed = in_scale
        leap = self.listening.settings.max_leap
        if leap and voice is not None:
            near = np.zeros(128, bool)
            near[max(0, voice.pitch - leap):voice.pitch + leap + 1] = True
            if (near & allowed).any():
                allowed &= near
        return allowed
