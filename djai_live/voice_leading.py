"""Voice leading: counting it in four-part (or any multi-part) music, and the rules the accompaniment keeps.

Counting (:func:`count_voice_leading`) is done as a theory teacher would, on the chords the ear hears: at
every onset of any voice where every voice sounds, the pitches sounding, top voice first. Between two
such chords that differ (a *chord change*):

- **parallels**: two voices a perfect fifth or an octave (or a unison) apart, compound intervals counted
  as simple, both moving in the same direction to the same interval again;
- **crossing**: a chord where a voice lies below the voice under it (S < A, A < T, T < B);
- **spacing**: a chord where two neighbouring upper voices lie more than an octave apart (S-A, A-T: the
  lowest pair may lie further apart, as in every harmony book);
- **unison**: a chord where two neighbouring voices sound the same pitch.

The rules (:class:`VoiceLeadingRules`) are the same four as masks over the 128 pitches a voice may take
next, given what the other voices sound, for the accompaniment to draw from (:mod:`.live.voicing`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PERFECT = (0, 7)          # interval classes of unisons/octaves and fifths
WIDEST_UPPER_SPACING = 12  # semitones between neighbouring upper voices
RULES = ("crossing", "parallels", "unison", "spacing")
# Given up in this order when no pitch keeps them all (the first the ear minds least), never stalling:
RELAXATION_ORDER = ("spacing", "unison", "parallels", "crossing")


@dataclass
class VoiceLeadingCount:
    """What :func:`count_voice_leading` found; the shares and rates are the figures to report."""
    chords: int = 0            # onsets where every voice sounds
    changes: int = 0           # consecutive such chords that differ
    parallels: int = 0
    crossed: int = 0
    spaced: int = 0
    unisons: int = 0

    def add(self, other: VoiceLeadingCount) -> None:
        for name in ("chords", "changes", "parallels", "crossed", "spaced", "unisons"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def parallels_per_100_changes(self) -> float:
        return 100.0 * self.parallels / self.changes if self.changes else float("nan")

    def share(self, name: str) -> float:
        """``crossed``, ``spaced`` or ``unisons`` as a share of the chords."""
        return getattr(self, name) / self.chords if self.chords else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {"chords": self.chords, "chord_changes": self.changes,
                "parallels_per_100_changes": self.parallels_per_100_changes,
                "crossing": self.share("crossed"), "spacing": self.share("spaced"),
                "unisons": self.share("unisons")}


def sounding_chords(voices: Sequence[np.ndarray], together: float = 0.0) -> list[tuple[int, ...]]:
    """The pitches sounding at every onset of any voice where every voice sounds, top voice first.

    ``voices``: one structured array per voice (``onset``, ``duration``, ``pitch``; any time unit), in
    order from the top voice down. A voice's note sounds from its onset until its end or the voice's next
    onset, whichever comes first. Onsets less than ``together`` apart are one chord, read at its last
    onset: played live, the voices of a chord arrive a millisecond or two apart, and read one by one they
    would move one at a time (never in parallel).
    """
    ends = []
    for notes in voices:
        order = np.argsort(notes["onset"], kind="stable")
        onset = np.asarray(notes["onset"], np.float64)[order]
        end = onset + np.asarray(notes["duration"], np.float64)[order]
        if len(onset) > 1:
            end[:-1] = np.minimum(end[:-1], onset[1:])
        ends.append((onset, end, np.asarray(notes["pitch"])[order]))
    times = np.unique(np.concatenate([onset for onset, _, _ in ends])) if ends else np.zeros(0)
    if together > 0 and len(times) > 1:
        times = times[np.append(np.diff(times) >= together, True)]  # the last onset of each cluster
    chords = []
    for time in times:
        chord = []
        for onset, end, pitch in ends:
            at = int(np.searchsorted(onset, time + 1e-9, side="right")) - 1
            if at < 0 or end[at] <= time + 1e-9:
                break
            chord.append(int(pitch[at]))
        else:
            chords.append(tuple(chord))
    return chords


def count_chords(chords: Sequence[tuple[int, ...]]) -> VoiceLeadingCount:
    """Count crossing, spacing and unisons in each chord and parallels between consecutive different ones."""
    count = VoiceLeadingCount()
    previous: tuple[int, ...] | None = None
    for chord in chords:
        count.chords += 1
        neighbours = list(zip(chord, chord[1:]))
        count.crossed += any(upper < lower for upper, lower in neighbours)
        count.unisons += any(upper == lower for upper, lower in neighbours)
        count.spaced += any(upper - lower > WIDEST_UPPER_SPACING for upper, lower in neighbours[:-1])
        if previous is not None and chord != previous:
            count.changes += 1
            count.parallels += parallels_between(previous, chord)
        previous = chord
    return count


def parallels_between(before: Sequence[int], after: Sequence[int]) -> int:
    """How many pairs of voices move in parallel perfect fifths or octaves (or unisons) from one chord to the next."""
    found = 0
    for i in range(len(before)):
        for j in range(i + 1, len(before)):
            interval = abs(before[i] - before[j]) % 12
            if interval not in PERFECT or abs(after[i] - after[j]) % 12 != interval:
                continue
            motion_i, motion_j = after[i] - before[i], after[j] - before[j]
            found += motion_i * motion_j > 0  # both move, the same way
    return found


def count_voice_leading(voices: Sequence[np.ndarray], together: float = 0.0) -> VoiceLeadingCount:
    """:func:`count_chords` of :func:`sounding_chords`: the voice leading of one piece (voices top first)."""
    return count_chords(sounding_chords(voices, together))


@dataclass
class VoiceLeadingRules:
    """The rules as masks for the accompaniment: which of the 128 pitches a voice may take next.

    ``order``: the instruments from the top voice down (from the model's instrument order or registers).
    ``now``: what each voice sounds at the chord being formed (its newest pitch); ``before``: what it
    sounded at the chord before. A voice absent from ``now`` is not sounding and constrains nothing.
    """
    order: Sequence[int]

    def breaks(self, instrument: int, now: dict[int, int], before: dict[int, int]) -> dict[str, np.ndarray]:
        """For each rule, the pitches (128 booleans) at which ``instrument`` would break it."""
        pitches = np.arange(128)
        place = list(self.order).index(instrument)
        above = [v for v in self.order[:place] if v in now]
        below = [v for v in self.order[place + 1:] if v in now]
        crossing = np.zeros(128, bool)
        for voice in above:
            crossing |= pitches > now[voice]
        for voice in below:
            crossing |= pitches < now[voice]
        unison = np.zeros(128, bool)
        spacing = np.zeros(128, bool)
        lowest = self.order[-1]
        if above:
            unison |= pitches == now[above[-1]]
            if above[-1] == self.order[place - 1] and instrument != lowest:  # an upper pair of neighbours
                spacing |= now[above[-1]] - pitches > WIDEST_UPPER_SPACING
        if below:
            unison |= pitches == now[below[0]]
            if below[0] == self.order[place + 1] and below[0] != lowest:
                spacing |= pitches - now[below[0]] > WIDEST_UPPER_SPACING
        parallels = np.zeros(128, bool)
        own_before = before.get(instrument)
        if own_before is not None:
            for voice in above + below:
                if voice not in before or now[voice] == before[voice]:
                    continue  # it has not moved since the last chord: no parallel motion with it (yet)
                interval = abs(own_before - before[voice]) % 12
                if interval not in PERFECT:
                    continue
                same_way = (pitches - own_before) * (now[voice] - before[voice]) > 0
                parallels |= same_way & (np.abs(pitches - now[voice]) % 12 == interval)
        return {"crossing": crossing, "parallels": parallels, "unison": unison, "spacing": spacing}


def instrument_order(num_instruments: int, ranges: Sequence[Sequence[int]] | None) -> list[int]:
    """The instruments from the top voice down: by the middle of their registers where the model stores
    them (highest first, ties by index), else instrument 0 on top."""
    if ranges is None or len(ranges) < num_instruments:
        return list(range(num_instruments))
    return sorted(range(num_instruments), key=lambda i: (-(ranges[i][0] + ranges[i][1]) / 2.0, i))
