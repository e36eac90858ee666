"""Call and response over the listening state, with a fake clock: when and what it answers, on the host's
beats and in key, prepared ahead or drawn on request."""
import numpy as np
import pytest

from djai_live.generation import Generator
from djai_live.live.settings import LiveSettings
from tests.support.live import CallAndResponseRig, FakeClock, play


@pytest.fixture(scope="module")
def generator(tiny_model):
    return Generator.from_file(tiny_model)


def test_phrase_mode_answers_once_after_the_gap(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(phrase_gap_ms=500, length=6), clock=clock, seed=0)
    play(rig, clock, [60, 62, 64, 67])
    assert rig.due() is None  # only 50 ms of silence so far
    clock.now += 0.5
    phrase = rig.due()
    assert phrase is not None and len(phrase.notes) == 6
    assert phrase.notes[0].onset_ms == 0.0
    assert all(b.onset_ms >= a.onset_ms for a, b in zip(phrase.notes, phrase.notes[1:]))
    clock.now += 5.0
    assert rig.due() is None  # no new notes, no new answer


def test_a_held_key_is_not_silence(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(phrase_gap_ms=200), clock=clock)
    rig.note_on(60, 90, 1)
    clock.now += 5.0
    assert rig.due() is None
    phrase = rig.generate()  # but an explicit request answers, the held note counted as sounding so far
    assert phrase is not None and len(phrase.notes) == rig.settings.length


def test_every_mode_answers_every_n_notes(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(mode="every", every_n=3, length=4), clock=clock)
    answers = [rig.note_on(p, 90, 1) for p in (60, 62, 64, 65, 67, 69)]
    assert [a is not None for a in answers] == [False, False, True, False, False, True]


def test_manual_mode_only_answers_when_asked(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(mode="manual", length=3), clock=clock)
    play(rig, clock, [60, 62, 64])
    clock.now += 10
    assert rig.due() is None
    assert len(rig.generate(5).notes) == 5


def test_nothing_heard_nothing_to_answer_and_reset_forgets(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, clock=clock)
    assert rig.generate() is None
    play(rig, clock, [60, 62])
    rig.reset()
    assert rig.generate() is None and len(rig.notes) == 0


def test_settings_shape_the_answer(generator):
    clock = FakeClock()
    settings = LiveSettings(pitch_min=70, pitch_max=72, channel_out=5, length=20, temperature=1.5)
    rig = CallAndResponseRig(generator, settings, clock=clock, seed=1)
    play(rig, clock, [60, 62, 64, 65])
    phrase = rig.generate()
    assert {n.channel for n in phrase.notes} == {5}
    assert all(70 <= n.pitch <= 72 for n in phrase.notes)


def test_lost_note_offs_do_not_grow_the_buffer(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, clock=clock)
    limit = generator.config.sequence_length_i
    for i in range(10 * limit):  # note-ons only: every note-off was lost
        rig.note_on(40 + i % 50, 90, 1)
        clock.now += 0.1
    assert len(rig.notes) <= 2 * limit + 1
    assert rig.generate() is not None


def test_a_note_held_far_too_long_no_longer_blocks_the_answer(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(phrase_gap_ms=100), clock=clock)
    rig.note_on(60, 90, 1)
    clock.now += 60.0
    assert rig.due() is not None


def clocked_engine(generator, **settings):
    from djai_live.live.clock import OscClock

    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(mode="manual", **settings), clock=clock, seed=3)
    host = OscClock(lambda: rig.settings.beats_per_bar)
    host.set_tempo(120.0, clock.now)
    host.set_beat(1, 1, clock.now)          # beat 0 at t=100 s; a beat every 0.5 s
    rig.host_clock = host
    return rig, clock


@pytest.mark.parametrize("quantize, grid", [("beat", "1/16"), ("bar", "1/8"), ("bar", "1/8t"), ("none", "1/16")])
def test_clocked_answers_start_on_the_beat_and_fall_on_the_grid(generator, quantize, grid):
    from djai_live.live.grid import grid_step

    rig, clock = clocked_engine(generator, quantize_start=quantize, grid=grid, length=12)
    play(rig, clock, [60, 62, 64, 67, 65])
    clock.now += 0.0371                      # somewhere between beats
    phrase = rig.generate()
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
    rig, clock = clocked_engine(generator, quantize_start="beat", grid="1/16")
    play(rig, clock, [60, 62, 64, 67])
    clock.now = 100.0 + 0.5 * 8 - 0.001    # 1 ms before beat 8: too close to send in time
    phrase = rig.generate()
    assert phrase.start_beat == 9.0
    assert phrase.notes[0].onset_ms > 0


def test_clock_latency_places_the_answer_that_much_earlier(generator):
    phrases = []
    for latency_ms in (0.0, 20.0):
        rig, clock = clocked_engine(generator, quantize_start="beat", grid="1/16", clock_latency_ms=latency_ms)
        play(rig, clock, [60, 62, 64, 67])
        clock.now += 0.1                     # beat 2.2: the answer starts on beat 3 either way
        phrases.append(rig.generate())
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
    rig, clock = clocked_engine(generator, key="auto", length=40, temperature=2.0)
    d_major = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]
    play(rig, clock, d_major)
    phrase = rig.generate()
    assert rig.sounding_scale().describe() == "D major"
    assert {n.pitch % 12 for n in phrase.notes} <= {2, 4, 6, 7, 9, 11, 1}


def test_key_auto_is_not_decided_by_a_few_milliseconds_of_jitter_on_instant_notes(generator):
    # A pad or a host sending note-on and note-off together: every note lasts next to nothing, and one
    # that happened to wait 20 ms for the machine must not weigh 20 times as much as the others.
    rig, clock = clocked_engine(generator, key="auto", length=8)
    d_major = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62]
    for pitch in d_major:
        rig.note_on(pitch, 90, 1)
        clock.now += 0.02 if pitch == 71 else 0.0001
        rig.note_off(pitch, 1)
        clock.now += 0.1
    rig.generate()
    assert rig.sounding_scale().describe() == "D major"


def test_a_prepared_answer_is_exactly_the_answer_drawn_on_request(generator):
    answers = []
    for prepare in (False, True):
        clock = FakeClock()
        settings = LiveSettings(mode="manual", length=8, temperature=1.5)
        rig = CallAndResponseRig(generator, settings, clock=clock, seed=11)
        play(rig, clock, [60, 62, 64, 67])
        if prepare:
            assert rig.prepare() and not rig.prepare()  # once per buffer
        first = rig.generate()
        if prepare:
            assert rig.prepare()
        second = rig.generate()
        answers.append([[(n.pitch, n.onset_ms, n.duration_ms) for n in p.notes] for p in (first, second)])
        assert rig.counters.prepared_used == (2 if prepare else 0)
    assert answers[0] == answers[1]


def test_a_prepared_answer_is_dropped_when_the_buffer_or_settings_change(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(mode="manual", length=6), clock=clock, seed=2)
    play(rig, clock, [60, 62, 64])
    assert rig.prepare()
    play(rig, clock, [65])
    rig.generate()
    assert rig.counters.prepared_used == 0
    assert rig.prepare()
    rig.settings.set("temperature", 0.3)
    rig.generate()
    assert rig.counters.prepared_used == 0
    rig.note_on(67, 90, 1)
    clock.now += 0.6
    assert rig.prepare()  # a held key enters with its duration so far (1.2 beats)
    clock.now += 0.004         # 1.208 beats: the same duration bin, so the prepared answer holds
    rig.generate()
    assert rig.counters.prepared_used == 1
    assert rig.prepare()
    clock.now += 2.0           # held much longer: another bin, so another answer
    rig.generate()
    assert rig.counters.prepared_used == 1


def test_panic_forgets_a_stuck_key_so_the_next_phrase_is_answered_at_once(generator):
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(phrase_gap_ms=100), clock=clock)
    play(rig, clock, [60, 62])
    rig.note_on(64, 90, 1)  # its note-off will never come
    play(rig, clock, [65])
    clock.now += 1.0
    assert rig.due() is None  # the stuck key holds phrase mode back (for MAX_HOLD_S)
    assert rig.forget_held() == 1
    assert rig.held == 0 and [n.pitch for n in rig.notes] == [60, 62, 65]
    assert rig.committed == 3  # the note that waited behind the stuck one is folded in
    assert rig.due() is None   # nothing is answered to what came before the panic
    play(rig, clock, [67])
    clock.now += 0.2
    assert rig.due() is not None
    rig.note_off(64, 1)  # the lost note-off arriving late changes nothing
    assert rig.held == 0


def test_a_swapped_model_continues_from_the_notes_heard(generator):
    """Another model (here the default: another size and context) takes over the buffer: its state is
    exactly its own priming of the notes heard, and it answers."""
    clock = FakeClock()
    rig = CallAndResponseRig(generator, LiveSettings(tempo_bpm=120, length=5), clock=clock, seed=0)
    play(rig, clock, [60, 64, 62, 67, 65])
    rig.note_on(69, 90, 1)  # held across the swap
    other = Generator.from_file("default")
    rig.use_generator(other)
    assert rig.config is other.config and rig.committed == 5 and rig.held == 1
    reference = CallAndResponseRig(other, LiveSettings(tempo_bpm=120, length=5), clock=FakeClock(), seed=0)
    play(reference, reference.clock, [60, 64, 62, 67, 65])
    for head in reference.logits:
        assert np.abs(reference.logits[head] - rig.logits[head]).max() < 1e-4
    clock.now += 0.3
    rig.note_off(69, 1)
    phrase = rig.generate()
    assert phrase is not None and len(phrase.notes) == 5


def test_one_pitch_drawn_twice_at_one_onset_is_one_note():
    from djai_live.live.events import AnswerNote, merge_unisons

    notes = (AnswerNote(0.0, 60, 80, 250.0, 1), AnswerNote(0.0, 60, 100, 120.0, 1),   # a unison twice: one note
             AnswerNote(0.0, 60, 70, 100.0, 2),                                       # another channel: kept
             AnswerNote(250.0, 64, 80, 250.0, 1), AnswerNote(250.4, 67, 80, 250.0, 1),  # a chord: kept
             AnswerNote(500.0, 60, 80, 250.0, 1))                                     # the pitch again later: kept
    merged = merge_unisons(notes)
    assert merged[0] == AnswerNote(0.0, 60, 100, 250.0, 1)
    assert merged[1:] == notes[2:]
