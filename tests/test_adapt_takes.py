"""The job /djai/adapt runs: takes cut into pieces long enough to train on, chords whole, voices apart."""
import numpy as np

from djai_live.adapt_takes import ADAPTED_FOLDER, SEGMENT_NOTES, cut, segment_takes
from djai_live.midi_files import read_midi_notes
from djai_live.midi_out import write_midi
from djai_live.notes import make_notes


def chords(count: int, size: int = 3):
    """``count`` chords of ``size`` notes, a beat apart."""
    onsets = np.repeat(np.arange(count, dtype=float), size)
    pitches = np.tile(np.arange(size) * 4 + 60, count)
    return make_notes(pitches, np.full(len(onsets), 80), onsets, np.full(len(onsets), 1.0), np.zeros(len(onsets)))


def test_pieces_hold_about_segment_notes_and_never_split_a_chord():
    notes = chords(300)                                         # 900 notes
    pieces = cut(notes)
    assert sum(len(piece) for piece in pieces) == 900
    assert all(SEGMENT_NOTES <= len(piece) < SEGMENT_NOTES + 3 for piece in pieces[:-1])
    assert all(len(np.unique(piece["onset"])) * 3 == len(piece) for piece in pieces)   # whole chords only
    assert len(pieces[-1]) >= SEGMENT_NOTES // 2                 # a short tail joins the piece before it
    assert len(cut(chords(10))) == 1


def two_voice_take(folder, low_notes: int, high_notes: int):
    """``folder``/take-1.mid: a voice of ``low_notes`` from pitch 60 and one of ``high_notes`` from 72, a
    track each; returns the folder."""
    folder.mkdir()
    low, high = chords(low_notes, 1), chords(high_notes, 1)
    high["pitch"] += 12
    write_midi([("performer 1", low), ("performer 2", high)], folder / "take-1.mid")
    return folder


def test_each_take_becomes_pieces_with_its_voices_on_tracks_of_their_own(tmp_path):
    takes, pieces = two_voice_take(tmp_path / "takes", 120, 120), tmp_path / "pieces"
    (takes / "broken.mid").write_bytes(b"MThd not really")
    (takes / ADAPTED_FOLDER).mkdir()
    write_midi([("x", chords(50))], takes / ADAPTED_FOLDER / "made-by-adapting.mid")
    assert segment_takes(takes, pieces) == (1, 1)               # 240 notes: one piece; the rest skipped
    [piece] = pieces.glob("*.mid")
    tracks = read_midi_notes(piece).tracks
    assert [len(track) for track in tracks] == [120, 120]
    assert {int(track.notes["pitch"][0]) for track in tracks} == {60, 72}


def test_for_a_model_that_reads_voices_apart_each_voice_is_cut_on_its_own_into_whole_windows(tmp_path):
    from djai_live.adapt_takes import WINDOWS_A_PIECE, voice_piece_notes
    from djai_live.config import DjaiConfig

    takes, pieces = two_voice_take(tmp_path / "takes", 600, 300), tmp_path / "pieces"
    config = DjaiConfig(sequence_length_i=64)
    per_voice = voice_piece_notes(config)
    assert per_voice == WINDOWS_A_PIECE * 64 + 1
    assert voice_piece_notes(config.replace(num_instruments=4)) is None   # one sequence of voices: cut together
    assert segment_takes(takes, pieces, per_voice) == (1, 3)   # 600 notes: two pieces (a tail joins); 300: one
    made = [read_midi_notes(path).tracks for path in sorted(pieces.glob("*.mid"))]
    assert all(len(tracks) == 1 for tracks in made)              # one voice a piece
    lengths = sorted((int(tracks[0].notes["pitch"][0]), len(tracks[0])) for tracks in made)
    assert lengths == [(60, 257), (60, 343), (72, 300)]
    assert all(float(tracks[0].notes["onset"][0]) == 0.0 for tracks in made)
