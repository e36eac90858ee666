import numpy as np
import pytest

from djai_live.corpus import read_midi_notes
from djai_live.generation import Generator, PromptTooShortError
from djai_live.sampling import SamplingSettings
from tests.conftest import PATTERN


def test_same_seed_same_notes(tiny_model, chorale):
    generator = Generator.from_file(tiny_model)
    notes = read_midi_notes(chorale).tracks[0].notes
    a = generator.continue_notes(notes, 12, seed=7)
    b = generator.continue_notes(notes, 12, seed=7)
    c = generator.continue_notes(notes, 12, seed=8, settings=SamplingSettings(temperature=2.0, top_p=1.0))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_averaged_transpositions_from_the_command_line_override_the_model_file(tiny_model, chorale):
    from djai_live.runtime import TranspositionAveraging

    generator = Generator.from_file(tiny_model, average_transpositions=2)
    assert generator.config.average_transpositions == 2
    assert isinstance(generator.runtime, TranspositionAveraging)
    notes = read_midi_notes(chorale).tracks[0].notes
    first = generator.continue_notes(notes, 12, seed=3)
    assert np.array_equal(first, generator.continue_notes(notes, 12, seed=3))
    assert Generator.from_file(tiny_model).config.average_transpositions == 0  # the file itself is unchanged
    with pytest.raises(ValueError, match="average_transpositions"):
        Generator.from_file(tiny_model, average_transpositions=9)


def test_continuation_follows_the_prompt_in_time(tiny_model, pattern_dir):
    generator = Generator.from_file(tiny_model)
    notes = read_midi_notes(pattern_dir / "pattern_0.mid").tracks[0].notes
    generated = generator.continue_notes(notes, 16, seed=0, settings=SamplingSettings(temperature=0.0))
    assert np.all(generated["onset"] > notes["onset"][-1])
    assert np.all(np.diff(generated["onset"]) >= 0)
    # the tiny model learned the pattern: greedy continuation carries it on
    last = len(notes) % len(PATTERN)
    expected = [PATTERN[(last + i) % len(PATTERN)] for i in range(16)]
    assert generated["pitch"].tolist() == expected


def test_pitch_range_is_honoured(tiny_model, chorale):
    generator = Generator.from_file(tiny_model)
    notes = read_midi_notes(chorale).tracks[0].notes
    settings = SamplingSettings(temperature=1.5, top_p=1.0, pitch_min=40, pitch_max=45)
    generated = generator.continue_notes(notes, 30, seed=3, settings=settings)
    assert generated["pitch"].min() >= 40 and generated["pitch"].max() <= 45


def test_an_empty_prompt_is_an_error(tiny_model):
    from djai_live.notes import empty_notes

    with pytest.raises(PromptTooShortError):
        Generator.from_file(tiny_model).continue_notes(empty_notes(), 5)


def test_default_model_is_not_degenerate(corpus_dir):
    """Over 20 unseen prompts, at least half of each 10-note continuation's pitches are distinct."""
    from djai_live.corpus import scan_midi_files

    generator = Generator.from_file("default")
    prompts = []
    for path in scan_midi_files(corpus_dir):
        for track in read_midi_notes(path).tracks:
            prompts.append(track.notes)
    prompts = prompts[:20]
    assert len(prompts) == 20
    distinct = [len(set(generator.continue_notes(p, 10, seed=i)["pitch"].tolist())) / 10
                for i, p in enumerate(prompts)]
    assert np.mean(distinct) >= 0.5


@pytest.mark.parametrize("scale, root", [("major", "C"), ("dorian", "D"), ("minor_pentatonic", "F#"),
                                         ("blues", "Bb")])
def test_every_generated_pitch_is_in_the_scale(chorale, scale, root):
    from djai_live.scales import Scale

    generator = Generator.from_file("default")
    notes = read_midi_notes(chorale).tracks[0].notes
    chosen = Scale.named(scale, root)
    pitches = []
    for seed, temperature in enumerate((0.7, 1.0, 1.5, 3.0)):
        settings = SamplingSettings(temperature=temperature, top_p=1.0, scale=chosen)
        pitches += generator.continue_notes(notes, 150, seed=seed, settings=settings)["pitch"].tolist()
    assert len(pitches) == 600
    assert {p % 12 for p in pitches} <= chosen.pitch_classes


def test_leaps_stay_within_max_leap_unless_the_scale_leaves_no_choice(chorale):
    from djai_live.scales import Scale

    generator = Generator.from_file("default")
    notes = read_midi_notes(chorale).tracks[0].notes
    settings = SamplingSettings(temperature=2.0, top_p=1.0, max_leap=2, scale=Scale.named("major", "C"))
    generated = generator.continue_notes(notes, 200, seed=1, settings=settings)["pitch"]
    steps = np.abs(np.diff(np.r_[notes["pitch"][-1], generated]))
    assert steps.max() <= 2
    assert {int(p) % 12 for p in generated} <= {0, 2, 4, 5, 7, 9, 11}
    far = SamplingSettings(max_leap=1, pitch_min=90, pitch_max=100)  # the range is far from the prompt
    first = generator.continue_notes(notes, 3, seed=0, settings=far)["pitch"]
    assert all(90 <= p <= 100 for p in first)


def test_a_scale_with_no_pitch_in_the_range_is_refused():
    from djai_live.scales import Scale

    with pytest.raises(ValueError, match="no pitch of C# major_pentatonic"):
        SamplingSettings(pitch_min=60, pitch_max=60, scale=Scale.named("major_pentatonic", "C#"))


class ChordHungryRuntime:
    """Logits that want pitch 60 at the previous note's onset for every note: a chord of one pitch."""

    def __init__(self, config) -> None:
        from djai_live.encoding import Codec

        sizes = Codec(config).vocab_sizes
        self.logits = {head: np.zeros(size) for head, size in sizes.items()}
        self.logits["pitch"][60] = 12.0
        self.logits["pitch"][64] = 10.0
        self.logits["dt"][0] = 30.0   # SIMULTANEOUS, all but certainly

    def initial_state(self) -> tuple:
        return ()

    def step(self, token, state):
        return self.logits, state


def test_a_pitch_is_never_drawn_twice_at_one_onset_of_one_instrument():
    from djai_live.config import DjaiConfig

    config = DjaiConfig()
    runtime = ChordHungryRuntime(config)
    generator = Generator(runtime, config)
    drawn = generator.continue_from_state(runtime.logits, (), 12, np.random.default_rng(0),
                                          SamplingSettings(temperature=1.0, top_p=1.0), None)
    assert np.all(drawn["onset"] == drawn["onset"][0])           # one onset: every note after the first is dt 0
    assert len(set(drawn["pitch"].tolist())) == 12               # twelve pitches, none twice
    assert set(drawn["pitch"][:2].tolist()) == {60, 64}         # the two likeliest first, then the rest
    narrow = SamplingSettings(temperature=1.0, top_p=1.0, pitch_min=60, pitch_max=61)
    two = generator.continue_from_state(runtime.logits, (), 4, np.random.default_rng(0), narrow, None)
    assert sorted(two["pitch"][:2].tolist()) == [60, 61]         # the range leaves two pitches: then as drawn
    assert len(two) == 4
