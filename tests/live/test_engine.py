"""The engine with a fake clock: when it answers, what it keeps, and that its incremental state is exact."""
import numpy as np
import pytest

from djai_live.encoding import tokens_to_array
from djai_live.generation import Generator
from djai_live.live.engine import Engine
from djai_live.live.settings import LiveSettings
from djai_live.model import logits_to_log_probs


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def generator(tiny_model):
    return Generator.from_file(tiny_model)


def play(engine, clock, pitches, step=0.25, hold=0.2):
    for pitch in pitches:
        engine.note_on(pitch, 90, 1)
        clock.now += hold
        engine.note_off(pitch, 1)
        clock.now += step - hold


def test_phrase_mode_answers_once_after_the_gap(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(phrase_gap_ms=500, length=6), clock=clock, seed=0)
    play(engine, clock, [60, 62, 64, 67])
    assert engine.due() is None  # only 50 ms of silence so far
    clock.now += 0.5
    phrase = engine.due()
    assert phrase is not None and len(phrase.notes) == 6
    assert phrase.notes[0].onset_ms == 0.0
    assert all(b.onset_ms >= a.onset_ms for a, b in zip(phrase.notes, phrase.notes[1:]))
    clock.now += 5.0
    assert engine.due() is None  # no new notes, no new answer


def test_a_held_key_is_not_silence(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(phrase_gap_ms=200), clock=clock)
    engine.note_on(60, 90, 1)
    clock.now += 5.0
    assert engine.due() is None
    phrase = engine.generate()  # but an explicit request answers, the held note counted as sounding so far
    assert phrase is not None and len(phrase.notes) == engine.settings.length


def test_every_mode_answers_every_n_notes(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(mode="every", every_n=3, length=4), clock=clock)
    answers = [engine.note_on(p, 90, 1) for p in (60, 62, 64, 65, 67, 69)]
    assert [a is not None for a in answers] == [False, False, True, False, False, True]


def test_manual_mode_only_answers_when_asked(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(mode="manual", length=3), clock=clock)
    play(engine, clock, [60, 62, 64])
    clock.now += 10
    assert engine.due() is None
    assert len(engine.generate(5).notes) == 5


def test_nothing_heard_nothing_to_answer_and_reset_forgets(generator):
    clock = FakeClock()
    engine = Engine(generator, clock=clock)
    assert engine.generate() is None
    play(engine, clock, [60, 62])
    engine.reset()
    assert engine.generate() is None and len(engine.notes) == 0


def test_settings_shape_the_answer(generator):
    clock = FakeClock()
    settings = LiveSettings(pitch_min=70, pitch_max=72, channel_out=5, length=20, temperature=1.5)
    engine = Engine(generator, settings, clock=clock, seed=1)
    play(engine, clock, [60, 62, 64, 65])
    phrase = engine.generate()
    assert {n.channel for n in phrase.notes} == {5}
    assert all(70 <= n.pitch <= 72 for n in phrase.notes)


def test_channel_filter_ignores_other_channels(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(channel_in=2), clock=clock)
    engine.note_on(60, 90, 1)
    engine.note_on(62, 90, 2)
    assert [n.pitch for n in engine.notes] == [62]


def test_buffer_stays_bounded(generator):
    clock = FakeClock()
    engine = Engine(generator, clock=clock)
    limit = generator.config.sequence_length_i
    play(engine, clock, [60 + i % 12 for i in range(5 * limit)])
    assert len(engine.notes) <= limit


def primed_logits(generator, performed):
    """The model's prediction after priming it with these performed notes, as one fresh sequence."""
    notes = np.zeros(len(performed), dtype=[("pitch", "i2"), ("velocity", "i2"), ("onset", "f8"),
                                            ("duration", "f8"), ("instrument", "i2")])
    notes["pitch"] = [n.pitch for n in performed]
    notes["velocity"] = [n.velocity for n in performed]
    notes["onset"] = [(n.onset - performed[0].onset) * 2 for n in performed]  # 120 BPM: 2 beats/s
    notes["duration"] = [n.duration * 2 for n in performed]
    logits, _ = generator.runtime.prime(tokens_to_array(generator.codec.encode(notes)))
    return logits


def context_length(generator, engine, performed) -> int | None:
    """How many of the last performed notes the engine's prediction is exactly the model's for, or None."""
    for count in range(1, len(performed) + 1):
        logits = primed_logits(generator, performed[-count:])
        if all(np.abs(logits_to_log_probs(logits[head]) - logits_to_log_probs(engine.logits[head])).max() < 1e-5
               for head in logits):
            return count
    return None


def test_incremental_state_equals_priming_the_buffer(generator):
    """What the engine folds in note by note is exactly what the model sees for the buffer."""
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(tempo_bpm=120), clock=clock)
    play(engine, clock, [60, 64, 62, 67, 65, 64, 62, 60, 59])
    assert engine.committed == len(engine.notes) == 9
    assert context_length(generator, engine, list(engine.notes)) == 9


def test_the_live_context_stays_between_l_and_2l_notes(generator):
    """Past L notes the engine keeps folding notes in (no re-priming per note) until 2L, then re-primes
    from the last L: its prediction is always exactly the model's after the last L to 2L notes heard."""
    limit = generator.config.sequence_length_i
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(tempo_bpm=120), clock=clock)
    rng = np.random.default_rng(5)
    performed, contexts = [], []
    for count in range(1, 4 * limit + 2):
        pitch = int(rng.integers(55, 75))
        engine.note_on(pitch, 90, 1)
        performed.append(engine.notes[-1])
        clock.now += 0.2
        engine.note_off(pitch, 1)
        clock.now += 0.05
        context = context_length(generator, engine, performed[-2 * limit:])
        assert context is not None and min(count, limit) <= context <= min(count, 2 * limit), (count, context)
        contexts.append(context)
    assert contexts[:2 * limit] == list(range(1, 2 * limit + 1))  # nothing forgotten before 2L notes
    assert max(contexts[2 * limit:]) == 2 * limit and min(contexts[2 * limit:]) == limit + 1  # then L+1..2L


def test_velocity_zero_note_on_is_a_note_off(generator):
    clock = FakeClock()
    engine = Engine(generator, clock=clock)
    engine.note_on(60, 90, 1)
    clock.now += 0.3
    engine.note_on(60, 0, 1)
    assert engine.held == 0 and engine.notes[0].duration == pytest.approx(0.3)


def test_lost_note_offs_do_not_grow_the_buffer(generator):
    clock = FakeClock()
    engine = Engine(generator, clock=clock)
    limit = generator.config.sequence_length_i
    for i in range(10 * limit):  # note-ons only: every note-off was lost
        engine.note_on(40 + i % 50, 90, 1)
        clock.now += 0.1
    assert len(engine.notes) <= 2 * limit + 1
    assert engine.generate() is not None


def test_a_note_held_far_too_long_no_longer_blocks_the_answer(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(phrase_gap_ms=100), clock=clock)
    engine.note_on(60, 90, 1)
    clock.now += 60.0
    assert engine.due() is not None


def clocked_engine(generator, **settings):
    from djai_live.live.clock import OscClock

    clock = FakeClock()
    engine = Engine(generator, LiveSettings(mode="manual", **settings), clock=clock, seed=3)
    host = OscClock(lambda: engine.settings.beats_per_bar)
    host.set_tempo(120.0, clock.now)
    host.set_beat(1, 1, clock.now)          # beat 0 at t=100 s; a beat every 0.5 s
    engine.host_clock = host
    return engine, clock


@pytest.mark.parametrize("quantize, grid", [("beat", "1/16"), ("bar", "1/8"), ("bar", "1/8t"), ("none", "1/16")])
def test_clocked_answers_start_on_the_beat_and_fall_on_the_grid(generator, quantize, grid):
    from djai_live.live.grid import grid_step

    engine, clock = clocked_engine(generator, quantize_start=quantize, grid=grid, length=12)
    play(engine, clock, [60, 62, 64, 67, 65])
    clock.now += 0.0371                      # somewhere between beats
    phrase = engine.generate()
    step = grid_step(grid)
    beats = [(phrase.anchor + n.onset_ms / 1000 - 100.0) * 2.0 for n in phrase.notes]
    assert beats[0] == pytest.approx(phrase.start_beat)
    assert phrase.start_beat >= (clock.now - 100.0) * 2.0
    unit = {"beat": 1.0, "bar": 4.0, "none": step}[quantize]
    assert phrase.start_beat / unit == pytest.approx(round(phrase.start_beat / unit))
    for beat, note in zip(beats, phrase.notes):
        assert beat / step == pytest.approx(round(beat / step), abs=1e-6)
        assert (note.duration_ms / 500.0) / step == pytest.approx(round(note.duration_ms / 500.0 / step))


def test_an_answer_that_would_be_late_moves_to_the_next_grid_point(generator):
    engine, clock = clocked_engine(generator, quantize_start="beat", grid="1/16")
    play(engine, clock, [60, 62, 64, 67])
    clock.now = 100.0 + 0.5 * 8 - 0.001    # 1 ms before beat 8: too close to send in time
    phrase = engine.generate()
    assert phrase.start_beat == 9.0
    assert phrase.notes[0].onset_ms > 0


def test_clock_latency_places_the_answer_that_much_earlier(generator):
    phrases = []
    for latency_ms in (0.0, 20.0):
        engine, clock = clocked_engine(generator, quantize_start="beat", grid="1/16", clock_latency_ms=latency_ms)
        play(engine, clock, [60, 62, 64, 67])
        clock.now += 0.1                     # beat 2.2: the answer starts on beat 3 either way
        phrases.append(engine.generate())
    on_time, early = phrases
    assert on_time.start_beat == early.start_beat == 3.0
    first_time = [p.anchor + p.notes[0].onset_ms / 1000.0 for p in phrases]
    assert first_time[0] == pytest.approx(100.0 + 3 * 0.5)
    assert first_time[0] - first_time[1] == pytest.approx(0.020)
    assert [n.onset_ms - early.notes[0].onset_ms for n in early.notes] == \
        pytest.approx([n.onset_ms - on_time.notes[0].onset_ms for n in on_time.notes])


def test_host_tempo_scales_the_answer(generator):
    slow, clock = clocked_engine(generator, grid="1/16")
    slow.host_clock.set_tempo(60.0, clock.now)
    play(slow, clock, [60, 62, 64, 67])
    phrase = slow.generate()
    assert all(abs(n.duration_ms / 1000.0 / 0.25 - round(n.duration_ms / 1000.0 / 0.25)) < 1e-6
               for n in phrase.notes)  # 1/16 at 60 BPM is 250 ms


def test_key_auto_follows_the_performer_into_d_major(generator):
    engine, clock = clocked_engine(generator, key="auto", length=40, temperature=2.0)
    d_major = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]
    play(engine, clock, d_major)
    phrase = engine.generate()
    assert engine.sounding_scale().describe() == "D major"
    assert {n.pitch % 12 for n in phrase.notes} <= {2, 4, 6, 7, 9, 11, 1}


def test_key_auto_is_not_decided_by_a_few_milliseconds_of_jitter_on_instant_notes(generator):
    # A pad or a host sending note-on and note-off together: every note lasts next to nothing, and one
    # that happened to wait 20 ms for the machine must not weigh 20 times as much as the others.
    engine, clock = clocked_engine(generator, key="auto", length=8)
    d_major = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]
    for pitch in d_major:
        engine.note_on(pitch, 90, 1)
        clock.now += 0.02 if pitch == 71 else 0.0001
        engine.note_off(pitch, 1)
        clock.now += 0.1
    engine.generate()
    assert engine.sounding_scale().describe() == "D major"


def test_a_prepared_answer_is_exactly_the_answer_drawn_on_request(generator):
    answers = []
    for prepare in (False, True):
        clock = FakeClock()
        engine = Engine(generator, LiveSettings(mode="manual", length=8, temperature=1.5), clock=clock, seed=11)
        play(engine, clock, [60, 62, 64, 67])
        if prepare:
            assert engine.prepare() and not engine.prepare()  # once per buffer
        first = engine.generate()
        if prepare:
            assert engine.prepare()
        second = engine.generate()
        answers.append([[(n.pitch, n.onset_ms, n.duration_ms) for n in p.notes] for p in (first, second)])
        assert engine.counters.prepared_used == (2 if prepare else 0)
    assert answers[0] == answers[1]


def test_a_prepared_answer_is_dropped_when_the_buffer_or_settings_change(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(mode="manual", length=6), clock=clock, seed=2)
    play(engine, clock, [60, 62, 64])
    assert engine.prepare()
    play(engine, clock, [65])
    engine.generate()
    assert engine.counters.prepared_used == 0
    assert engine.prepare()
    engine.settings.set("temperature", 0.3)
    engine.generate()
    assert engine.counters.prepared_used == 0
    engine.note_on(67, 90, 1)
    clock.now += 0.6
    assert engine.prepare()  # a held key enters with its duration so far (1.2 beats)
    clock.now += 0.004         # 1.208 beats: the same duration bin, so the prepared answer holds
    engine.generate()
    assert engine.counters.prepared_used == 1
    assert engine.prepare()
    clock.now += 2.0           # held much longer: another bin, so another answer
    engine.generate()
    assert engine.counters.prepared_used == 1


def test_panic_forgets_a_stuck_key_so_the_next_phrase_is_answered_at_once(generator):
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(phrase_gap_ms=100), clock=clock)
    play(engine, clock, [60, 62])
    engine.note_on(64, 90, 1)  # its note-off will never come
    play(engine, clock, [65])
    clock.now += 1.0
    assert engine.due() is None  # the stuck key holds phrase mode back (for MAX_HOLD_S)
    assert engine.forget_held() == 1
    assert engine.held == 0 and [n.pitch for n in engine.notes] == [60, 62, 65]
    assert engine.committed == 3  # the note that waited behind the stuck one is folded in
    assert engine.due() is None   # nothing is answered to what came before the panic
    play(engine, clock, [67])
    clock.now += 0.2
    assert engine.due() is not None
    engine.note_off(64, 1)  # the lost note-off arriving late changes nothing
    assert engine.held == 0


def test_a_swapped_model_continues_from_the_notes_heard(generator):
    """Another model (here the default: another size and context) takes over the buffer: its state is
    exactly its own priming of the notes heard, and it answers."""
    clock = FakeClock()
    engine = Engine(generator, LiveSettings(tempo_bpm=120, length=5), clock=clock, seed=0)
    play(engine, clock, [60, 64, 62, 67, 65])
    engine.note_on(69, 90, 1)  # held across the swap
    other = Generator.from_file("default")
    engine.use_generator(other)
    assert engine.config is other.config and engine.committed == 5 and engine.held == 1
    reference = Engine(other, LiveSettings(tempo_bpm=120, length=5), clock=FakeClock(), seed=0)
    play(reference, reference.clock, [60, 64, 62, 67, 65])
    for head in reference.logits:
        assert np.abs(reference.logits[head] - engine.logits[head]).max() < 1e-4
    clock.now += 0.3
    engine.note_off(69, 1)
    phrase = engine.generate()
    assert phrase is not None and len(phrase.notes) == 5


def test_one_pitch_drawn_twice_at_one_onset_is_one_note():
    from djai_live.live.engine import AnswerNote, merge_unisons

    notes = (AnswerNote(0.0, 60, 80, 250.0, 1), AnswerNote(0.0, 60, 100, 120.0, 1),   # a unison twice: one note
             AnswerNote(0.0, 60, 70, 100.0, 2),                                       # another channel: kept
             AnswerNote(250.0, 64, 80, 250.0, 1), AnswerNote(250.4, 67, 80, 250.0, 1),  # a chord: kept
             AnswerNote(500.0, 60, 80, 250.0, 1))                                     # the pitch again later: kept
    merged = merge_unisons(notes)
    assert merged[0] == AnswerNote(0.0, 60, 100, 250.0, 1)
    assert merged[1:] == notes[2:]
