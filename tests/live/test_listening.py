"""The listening state with a fake clock: what it keeps of the performer, and that its incremental model
state is exactly the model's over the notes it holds."""
import numpy as np
import pytest

from djai_live.encoding import tokens_to_array
from djai_live.generation import Generator
from djai_live.live.listening import ListeningState
from djai_live.live.settings import LiveSettings
from djai_live.model import logits_to_log_probs
from tests.support.live import FakeClock, play


@pytest.fixture(scope="module")
def generator(tiny_model):
    return Generator.from_file(tiny_model)


def test_channel_filter_ignores_other_channels(generator):
    clock = FakeClock()
    listening = ListeningState(generator, LiveSettings(channel_in=2), clock=clock)
    listening.note_on(60, 90, 1)
    listening.note_on(62, 90, 2)
    assert [n.pitch for n in listening.notes] == [62]


def test_buffer_stays_bounded(generator):
    clock = FakeClock()
    listening = ListeningState(generator, clock=clock)
    limit = generator.config.sequence_length_i
    play(listening, clock, [60 + i % 12 for i in range(5 * limit)])
    assert len(listening.notes) <= limit


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


def context_length(generator, listening, performed) -> int | None:
    """How many of the last performed notes the listening's prediction is exactly the model's for, or None."""
    for count in range(1, len(performed) + 1):
        logits = primed_logits(generator, performed[-count:])
        if all(np.abs(logits_to_log_probs(logits[head]) - logits_to_log_probs(listening.logits[head])).max() < 1e-5
               for head in logits):
            return count
    return None


def test_incremental_state_equals_priming_the_buffer(generator):
    """What the listening state folds in note by note is exactly what the model sees for the buffer."""
    clock = FakeClock()
    listening = ListeningState(generator, LiveSettings(tempo_bpm=120), clock=clock)
    play(listening, clock, [60, 64, 62, 67, 65, 64, 62, 60, 59])
    assert listening.committed == len(listening.notes) == 9
    assert context_length(generator, listening, list(listening.notes)) == 9


def test_the_live_context_stays_between_l_and_2l_notes(generator):
    """Past L notes the listening state keeps folding notes in (no re-priming per note) until 2L, then re-primes
    from the last L: its prediction is always exactly the model's after the last L to 2L notes heard."""
    limit = generator.config.sequence_length_i
    clock = FakeClock()
    listening = ListeningState(generator, LiveSettings(tempo_bpm=120), clock=clock)
    rng = np.random.default_rng(5)
    performed, contexts = [], []
    for count in range(1, 4 * limit + 2):
        pitch = int(rng.integers(55, 75))
        listening.note_on(pitch, 90, 1)
        performed.append(listening.notes[-1])
        clock.now += 0.2
        listening.note_off(pitch, 1)
        clock.now += 0.05
        context = context_length(generator, listening, performed[-2 * limit:])
        assert context is not None and min(count, limit) <= context <= min(count, 2 * limit), (count, context)
        contexts.append(context)
    assert contexts[:2 * limit] == list(range(1, 2 * limit + 1))  # nothing forgotten before 2L notes
    assert max(contexts[2 * limit:]) == 2 * limit and min(contexts[2 * limit:]) == limit + 1  # then L+1..2L


def test_velocity_zero_note_on_is_a_note_off(generator):
    clock = FakeClock()
    listening = ListeningState(generator, clock=clock)
    listening.note_on(60, 90, 1)
    clock.now += 0.3
    listening.note_on(60, 0, 1)
    assert listening.held == 0 and listening.notes[0].duration == pytest.approx(0.3)
