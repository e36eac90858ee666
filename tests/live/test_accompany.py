"""The accompaniment policy with an injected clock and no sockets: what it plays, when, and on which voice."""
import numpy as np
import pytest

from djai_live.config import DjaiConfig
from djai_live.encoding import Codec
from djai_live.generation import Generator
from djai_live.live.accompany import Accompaniment
from djai_live.live.band import DT, INSTRUMENT
from djai_live.live.clock import Position
from djai_live.live.listening import ListeningState
from djai_live.live.policy import PolicyError, check_mode, policy_for
from djai_live.live.instruments import InstrumentMap
from djai_live.live.settings import LiveSettings
from djai_live.model_files import bundled_models
from djai_live.scales import parse_scale
from tests.support.live import FakeClock, RecordingOutput

RANGES = [[60, 81], [53, 74], [48, 69], [36, 62]]


class ScriptedRuntime:
    """A model whose next-note distributions the test sets: ``prefer`` raises chosen values of a head."""

    def __init__(self, config: DjaiConfig) -> None:
        self.sizes = Codec(config).vocab_sizes
        self.preferences: dict[str, dict[int, float]] = {}
        self.steps: list[np.ndarray] = []

    def prefer(self, head: str, value: int, logit: float = 8.0) -> None:
        self.preferences.setdefault(head, {})[value] = logit

    def logits(self) -> dict[str, np.ndarray]:
        out = {}
        for head in ("pitch", "dt", "duration", "velocity", "instrument"):
            values = np.zeros(self.sizes[head])
            for index, logit in self.preferences.get(head, {}).items():
                values[index] = logit
            out[head] = values
        return out

    def initial_state(self) -> tuple:
        return ()

    def step(self, token, state):
        self.steps.append(np.array(token))
        return self.logits(), state

    def prime(self, tokens, state=None):
        for token in tokens:
            self.steps.append(np.array(token))
        return self.logits(), ()


class Recorder(RecordingOutput):
    """What the accompaniment plays, with the clock's time: notes one by one, never a phrase."""

    def play(self, phrase) -> None:
        raise AssertionError("the accompaniment plays notes, not phrases")


def make(settings=None, ranges=RANGES, seed=0, instruments=4):
    config = DjaiConfig(num_instruments=instruments, sequence_length_i=8, n_units=8,
                        instrument_ranges=ranges[:instruments] if ranges else None)
    runtime = ScriptedRuntime(config)
    clock = FakeClock()
    engine = ListeningState(Generator(runtime, config), settings or LiveSettings(mode="accompany"), clock=clock,
                            seed=seed)
    output = Recorder(clock)
    return Accompaniment(engine, output), engine, runtime, output, clock


def hear(accompanist, engine, clock, pitch, channel=1):
    accompanist.heard_note_on(pitch, 90, channel, clock.now)


def test_a_performers_note_is_harmonized_at_once_on_the_other_instruments_only():
    accompanist, engine, runtime, output, clock = make()
    runtime.prefer("dt", 0)
    runtime.prefer("instrument", 0, 20.0)  # the model would rather play the performer's own voice
    hear(accompanist, engine, clock, 72)
    assert len(output.started) == 3  # one note per other voice, then the chord is full
    assert {time for time, *_ in output.started} == {clock.now}
    assert sorted(channel for *_, channel in output.started) == [2, 3, 4]  # instrument i on channel i + 1
    assert [int(t[INSTRUMENT]) for t in runtime.steps] == [0, *[c - 1 for *_, c in output.started]]
    assert accompanist.band.plan is not None and accompanist.band.plan.time > clock.now  # the next chord comes later
    assert accompanist.band.plan.token[DT] != 0


def test_the_output_map_and_the_instrument_map_choose_voices_and_channels():
    accompanist, engine, runtime, output, clock = make()
    engine.instruments = InstrumentMap.parse("5:3", "1:11,2:12")  # the performer plays the bass on channel 5
    runtime.prefer("dt", 0)
    hear(accompanist, engine, clock, 40, channel=5)
    assert sorted(channel for *_, channel in output.started) == [1, 11, 12]  # soprano keeps channel 1


def test_a_planned_note_is_dropped_when_the_performer_plays_first():
    accompanist, engine, runtime, output, clock = make()
    half_beat = int(Codec(engine.config).time.encode([0.5])[0])
    runtime.prefer("dt", half_beat)
    hear(accompanist, engine, clock, 72)
    plan = accompanist.band.plan
    assert not output.started and plan is not None
    assert plan.time == pytest.approx(clock.now + 0.25)  # half a beat at 120 BPM
    clock.now += 0.1
    accompanist.due(clock.now)
    assert not output.started  # not yet
    hear(accompanist, engine, clock, 74)  # the performer plays before the plan is due
    assert accompanist.band.plan is not plan
    assert accompanist.band.plan.time == pytest.approx(clock.now + 0.25)  # drawn again after the new note
    assert [int(t[0]) for t in runtime.steps] == [72, 74]  # the dropped plan never reached the model
    clock.now = accompanist.band.plan.time
    accompanist.due(clock.now)
    assert len(output.started) == 1 and output.started[0][0] == clock.now


def test_voices_stay_in_their_registers_and_in_the_scale_within_the_leap():
    settings = LiveSettings(mode="accompany", max_leap=4)
    settings.set("scale", "major", "D")
    accompanist, engine, runtime, output, clock = make(settings, seed=3)
    runtime.prefer("dt", 0, 5.0)  # mostly chords, sometimes later notes; pitch uniform over 0-127
    scale = parse_scale(["major", "D"]).mask()
    last = {}
    for i in range(60):
        hear(accompanist, engine, clock, 74 + (i % 3))
        clock.now += 0.3
        accompanist.due(clock.now)
        engine.note_off(74 + (i % 3), 1, now=clock.now)
    assert len(output.started) > 60
    for _, pitch, _, _, channel in output.started:
        low, high = RANGES[channel - 1]
        assert low <= pitch <= high and scale[pitch]
        if channel in last:
            assert abs(pitch - last[channel]) <= 4
        last[channel] = pitch


def test_a_voice_plays_one_note_at_a_time():
    accompanist, engine, runtime, output, clock = make()
    runtime.prefer("dt", 0)
    runtime.prefer("duration", len(engine.generator.codec.time) - 1)  # very long notes
    hear(accompanist, engine, clock, 72)
    clock.now += 0.5
    hear(accompanist, engine, clock, 74)
    first = {channel: pitch for _, pitch, _, _, channel in output.started[:3]}
    second = [channel for *_, channel in output.started[3:]]
    assert sorted(second) == [2, 3, 4]
    assert sorted(output.ended) == sorted((first[channel], channel) for channel in second)


def test_panic_and_stopping_end_everything_and_it_rests_until_the_performer_plays():
    accompanist, engine, runtime, output, clock = make(LiveSettings(mode="accompany", phrase_gap_ms=500))
    runtime.prefer("dt", 0, 20.0)
    hear(accompanist, engine, clock, 72)
    assert output.sounding
    engine.note_off(72, 1, now=clock.now + 0.1)
    accompanist.rest()  # what /djai/panic does besides the scheduler's panic
    assert not output.sounding and accompanist.band.plan is None
    clock.now += 2.0
    accompanist.due(clock.now)
    assert accompanist.next_deadline() is None and len(output.started) == 3
    hear(accompanist, engine, clock, 74)  # plays again with the performer
    engine.note_off(74, 1, now=clock.now + 0.1)
    assert output.sounding
    stop = accompanist.next_deadline()
    assert stop is not None and stop <= clock.now + 0.1 + 0.5 + 1e-9
    while accompanist.next_deadline() is not None:  # planned notes until the performer's silence ends it
        clock.now = accompanist.next_deadline()
        accompanist.due(clock.now)
    assert clock.now == pytest.approx(stop) and not output.sounding and accompanist.band.plan is None


def test_carry_on_beats_lets_it_go_on_after_the_performer_stops():
    settings = LiveSettings(mode="accompany", phrase_gap_ms=100, carry_on_beats=4)
    accompanist, engine, runtime, output, clock = make(settings)
    hear(accompanist, engine, clock, 72)
    engine.note_off(72, 1, now=clock.now + 0.2)
    assert accompanist.next_deadline() is not None
    assert accompanist._stop_time() == pytest.approx(clock.now + 0.2 + 0.1 + 2.0)  # 4 beats at 120 BPM


def test_planned_notes_land_on_the_hosts_grid():
    settings = LiveSettings(mode="accompany", grid="1/8")
    accompanist, engine, runtime, output, clock = make(settings)

    class Host:  # a host clock at 100 BPM whose beat 0 was at t=99.9
        def position(self, now):
            return Position((now - 99.9) * 100 / 60.0, 100.0)

    engine.host_clock = Host()
    runtime.prefer("dt", int(engine.generator.codec.time.encode([0.75])[0]))
    for _ in range(5):
        hear(accompanist, engine, clock, 72)
        beat = (accompanist.band.plan.time - 99.9) * 100 / 60.0
        assert beat == pytest.approx(round(beat * 2) / 2) and accompanist.band.plan.time >= clock.now
        clock.now += 0.123


def test_temperature_zero_plays_the_models_most_likely_choices():
    settings = LiveSettings(mode="accompany", temperature=0.0)
    accompanist, engine, runtime, output, clock = make(settings)
    runtime.prefer("dt", 0)
    runtime.prefer("instrument", 3, 5.0)
    runtime.prefer("pitch", 43, 5.0)
    hear(accompanist, engine, clock, 72)
    assert output.started[0][1:] == (43, output.started[0][2], output.started[0][3], 4)


def test_a_model_of_one_instrument_cannot_accompany():
    with pytest.raises(PolicyError, match="several instruments"):
        check_mode("accompany", DjaiConfig(num_instruments=1))


def test_without_instrument_ranges_the_pitch_range_setting_bounds_every_voice():
    accompanist, engine, runtime, output, clock = make(LiveSettings(mode="accompany", pitch_min=50, pitch_max=60),
                                                       ranges=None)
    runtime.prefer("dt", 0)
    for _ in range(10):
        hear(accompanist, engine, clock, 72)
        clock.now += 1.0
    assert output.started and all(50 <= pitch <= 60 for _, pitch, *_ in output.started)


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_the_chorale_model_harmonizes_a_soprano_note_on_alto_tenor_and_bass():
    generator = Generator.from_file("chorale")
    clock = FakeClock()
    engine = ListeningState(generator, LiveSettings(mode="accompany"), clock=clock, seed=1)
    output = Recorder(clock)
    accompanist = Accompaniment(engine, output)
    onsets = []
    for pitch in (67, 67, 69, 71, 72, 71, 69, 67) * 2:
        hear(accompanist, engine, clock, pitch)
        onsets.append(clock.now)
        end = clock.now + 0.5
        while accompanist.next_deadline() is not None and accompanist.next_deadline() < end:
            clock.now = accompanist.next_deadline()  # as the daemon does (a plan may wait wait_ms past its time)
            accompanist.due(clock.now)
        clock.now = end
        engine.note_off(pitch, 1, now=clock.now)
    times = [time for time, *_ in output.started]
    harmonized = sum(1 for onset in onsets if onset in times)
    assert harmonized >= 0.75 * len(onsets)  # most soprano notes get a chord at once
    assert {channel for *_, channel in output.started} <= {2, 3, 4}
    ranges = generator.config.instrument_ranges
    assert ranges is not None
    assert all(ranges[c - 1][0] <= p <= ranges[c - 1][1] for _, p, _, _, c in output.started)


def bin_of(engine, beats):
    return int(engine.generator.codec.time.encode([beats])[0])


def test_a_note_planned_for_the_next_chord_waits_for_the_performer_a_passing_note_does_not():
    settings = LiveSettings(mode="accompany", wait_ms=30)
    accompanist, engine, runtime, output, clock = make(settings)
    runtime.prefer("duration", bin_of(engine, 1.0))  # the performer's note is expected to last a beat
    runtime.prefer("dt", bin_of(engine, 1.0))
    hear(accompanist, engine, clock, 72)  # first note: no expectation yet, it enters as a beat
    hear(accompanist, engine, clock, 72)
    plan = accompanist.band.plan
    assert plan.time == pytest.approx(clock.now + 0.5)  # one beat at 120 BPM: when the melody should move
    assert plan.play_at == pytest.approx(plan.time + 0.03)
    runtime.prefer("dt", bin_of(engine, 1.0), 0.0)
    runtime.prefer("dt", bin_of(engine, 0.5))
    hear(accompanist, engine, clock, 74)
    assert accompanist.band.plan.play_at == pytest.approx(clock.now + 0.25)  # under the held note: on time


def test_a_note_held_past_its_expected_end_is_folded_again_longer_and_the_plan_drawn_again():
    settings = LiveSettings(mode="accompany", wait_ms=10)
    accompanist, engine, runtime, output, clock = make(settings)
    runtime.prefer("duration", bin_of(engine, 1.0))
    runtime.prefer("dt", bin_of(engine, 2.0))
    hear(accompanist, engine, clock, 72)
    hear(accompanist, engine, clock, 74)
    old_plan, steps = accompanist.band.plan, len(runtime.steps)
    assert accompanist.next_deadline() == pytest.approx(clock.now + 0.51)  # the extension comes first
    clock.now += 0.51
    accompanist.due(clock.now)
    replayed = runtime.steps[steps:]
    assert int(replayed[0][0]) == 74  # the held note again, longer, then nothing else was after it
    assert engine.generator.codec.time.decode([replayed[0][2]])[0] > 1.0
    assert accompanist.band.plan is not old_plan and not output.started
    engine.note_off(74, 1, now=clock.now)
    assert accompanist._extend_time() is None  # released: no more extensions


def test_a_velocity_the_model_never_saw_enters_as_the_one_it_expects():
    accompanist, engine, runtime, output, clock = make()
    runtime.prefer("velocity", 5, 30.0)  # a corpus of one velocity
    runtime.prefer("dt", bin_of(engine, 1.0))
    hear(accompanist, engine, clock, 72)
    accompanist.heard_note_on(74, 20, 1, clock.now)
    assert int(runtime.steps[1][3]) == 5


def test_an_unseen_velocity_on_the_first_note_is_folded_again_as_expected():
    accompanist, engine, runtime, output, clock = make()
    runtime.prefer("velocity", 5, 30.0)
    runtime.prefer("dt", 0)
    hear(accompanist, engine, clock, 72)  # velocity 90: bin 5, seen
    assert [int(t[3]) for t in runtime.steps[:2]] == [5, 5]  # no second fold: the chord followed at once
    accompanist2, engine2, runtime2, output2, clock2 = make()
    runtime2.prefer("velocity", 2, 30.0)
    runtime2.prefer("dt", 0)
    hear(accompanist2, engine2, clock2, 72)
    assert [int(t[0]) for t in runtime2.steps[:2]] == [72, 72] and int(runtime2.steps[1][3]) == 2
    assert len(output2.started) == 3 and accompanist2.next_deadline() is not None


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_accompaniment_leaves_the_call_and_response_state_unfolded_until_it_is_needed():
    generator = Generator.from_file("chorale")
    engines = []
    policies = []
    for mode in ("accompany", "phrase"):
        clock = FakeClock()
        engine = ListeningState(generator, LiveSettings(mode=mode), clock=clock, seed=0)
        policies.append(policy_for(mode, engine, Recorder(clock)))
        for i, pitch in enumerate((67, 69, 71, 72, 74)):
            engine.note_on(pitch, 90, 1, now=100.0 + i * 0.5)
            engine.note_off(pitch, 1, now=100.4 + i * 0.5)
        engines.append(engine)
    accompanying, answering = engines
    assert accompanying.state is None and accompanying.stale  # no model step on the accompaniment's path
    accompanying.settings.mode = "phrase"
    policy_for("phrase", accompanying, Recorder(clock), current=policies[0])
    assert accompanying.folds_notes
    accompanying.refold()
    for mine, theirs in zip(accompanying.state, answering.state):
        assert np.allclose(mine, theirs, atol=1e-5)


class CountingRuntime:
    """A real runtime that counts its steps."""

    def __init__(self, runtime) -> None:
        self.runtime, self.steps = runtime, 0

    def initial_state(self):
        return self.runtime.initial_state()

    def step(self, token, state):
        self.steps += 1
        return self.runtime.step(token, state)

    def prime(self, tokens, state=None):
        self.steps += len(tokens)
        return self.runtime.prime(tokens, state)


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_the_context_is_what_priming_its_last_notes_gives_and_is_tidied_a_step_at_a_time():
    """Between L and 2L notes the context is always exactly what priming on its notes gives (held notes
    folded again longer included), and bounding it never takes more than one step while a note waits."""
    loaded = Generator.from_file("chorale")
    runtime = CountingRuntime(loaded.runtime)
    generator = Generator(runtime, loaded.config)
    limit = generator.config.sequence_length_i
    clock = FakeClock()
    engine = ListeningState(generator, LiveSettings(mode="accompany", tempo_bpm=120), clock=clock, seed=1)
    accompanist = Accompaniment(engine, Recorder(clock))
    melody = [67, 69, 71, 72, 74, 72, 71, 69, 67, 66, 67, 62]
    lengths, swapped, checked = [], 0, 0

    def tidy_as_the_daemon_does():
        nonlocal swapped
        before = runtime.steps
        assert not accompanist.tidy(lambda: True) and runtime.steps == before  # a note waits: no step
        allowed = [2]
        swapped += accompanist.tidy(lambda: not allowed.__setitem__(0, allowed[0] - 1) and allowed[0] < 0)
        assert runtime.steps - before <= 2
        swapped += accompanist.tidy()  # idle: caught up

    def run_until(when):
        while accompanist.next_deadline() is not None and accompanist.next_deadline() <= when:
            clock.now = accompanist.next_deadline()
            accompanist.due(clock.now)
            tidy_as_the_daemon_does()
        clock.now = when

    for i in range(4 * limit // 3):
        pitch = melody[i % len(melody)]
        beats = 3.0 if i % 3 == 1 else 1.0  # held longer than the model expects now and then
        run_until(clock.now)
        accompanist.heard_note_on(pitch, 90, 1, clock.now)
        tidy_as_the_daemon_does()
        run_until(clock.now + beats * 0.5 - 0.01)
        engine.note_off(pitch, 1, now=clock.now)
        lengths.append(len(accompanist.band.tokens))
        if i % 9 == 8 or i > 4 * limit // 3 - 4:
            expected, _ = loaded.runtime.prime(np.stack(accompanist.band.tokens))
            for head, values in accompanist.band.logits.items():
                np.testing.assert_allclose(values, expected[head], atol=2e-4, err_msg=head)
            checked += 1
    # a swap waits while the held note would leave the context: the notes the voices move under a note
    # held 3 beats (up to a dozen) may come on top of 2L
    assert swapped >= 2 and max(lengths) <= 2 * limit + 12 and min(lengths[len(lengths) // 2:]) >= limit
    assert checked >= 10


def play_soprano_offline(generator, pitches, rehearse: bool, settings=None, change=None, note_waiting=None):
    """Legato quarter notes at 100 BPM on an injected clock, the daemon's idle work between events;
    returns ((notes started, notes ended), chords played from a rehearsal)."""
    clock = FakeClock()
    engine = ListeningState(generator, settings or LiveSettings(mode="accompany", tempo_bpm=100), clock=clock, seed=4)
    output = Recorder(clock)
    accompanist = Accompaniment(engine, output)

    def idle():
        accompanist.tidy()
        if rehearse:
            for _ in range(100):  # as the daemon's loop: again at the next idle moment until all are done
                if note_waiting is not None:
                    note_waiting.came = False
                accompanist.rehearse(note_waiting=note_waiting)
                if not accompanist.rehearsal_queue:
                    break
                assert note_waiting is not None and note_waiting.came  # it stopped only for a note
            assert not accompanist.rehearsal_queue

    for i, pitch in enumerate(pitches):
        when = 100.0 + i * 0.6
        while accompanist.next_deadline() is not None and accompanist.next_deadline() <= when:
            clock.now = accompanist.next_deadline()
            accompanist.due(clock.now)
            idle()
        clock.now = when
        if change is not None:
            change(engine, i)
        accompanist.heard_note_on(pitch, 90, 1, when)
        idle()
        clock.now = when + 0.599
        engine.note_off(pitch, 1, now=clock.now)
    return (output.started, output.ended), engine.counters.prepared_used


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_a_rehearsed_chord_is_exactly_the_chord_drawn_on_the_spot():
    generator = Generator.from_file("chorale")
    melody = [67, 67, 69, 71, 72, 71, 69, 67, 66, 67, 69, 67, 64, 62, 64, 66, 67]
    drawn, none = play_soprano_offline(generator, melody, rehearse=False)
    rehearsed, used = play_soprano_offline(generator, melody, rehearse=True)
    assert none == 0 and used >= len(melody) // 2  # most notes were among the likeliest rehearsed
    assert rehearsed == drawn


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_a_rehearsal_stops_at_the_model_step_where_a_note_comes_and_is_done_again_later():
    generator = Generator.from_file("chorale")
    melody = [67, 67, 69, 71, 72, 71, 69, 67, 66, 67, 69, 67, 64, 62, 64, 66, 67]
    drawn, _ = play_soprano_offline(generator, melody, rehearse=False)

    class ANoteAtEverySixthStep:  # a rehearsal takes at most 4 model steps: each one gets done in the end
        asked = notes = asked_after_a_note = 0
        came = False  # in this call of rehearse (the test's idle loop resets it)

        def __call__(self) -> bool:
            self.asked_after_a_note += self.came  # rehearsing should have stopped at the note
            self.asked += 1
            self.came = self.asked % 6 == 0
            self.notes += self.came
            return self.came

    notes = ANoteAtEverySixthStep()
    rehearsed, used = play_soprano_offline(generator, melody, rehearse=True, note_waiting=notes)
    assert notes.notes >= 20 and notes.asked_after_a_note == 0  # many rehearsals were dropped half-way ...
    assert used >= len(melody) // 2 and rehearsed == drawn  # ... and left nothing behind: the same music


@pytest.mark.skipif("chorale" not in bundled_models(), reason="the chorale model is not bundled")
def test_a_rehearsal_expires_when_a_setting_changes():
    generator = Generator.from_file("chorale")
    melody = [67, 67, 69, 71, 72, 71, 69, 67]

    def retune(engine, i):
        engine.settings.set("temperature", 0.3 if i % 2 else 0.4)  # after each rehearsal, before each note

    _, used = play_soprano_offline(generator, melody, rehearse=True, change=retune)
    assert used == 0
