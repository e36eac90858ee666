"""Takes as MIDI files: what was played and answered, at its times, on its tracks, never a broken file."""
import mido
import pretty_midi
import pytest

from djai_live.live.events import AllNotesOff, NoteEnded, NoteHeard, NoteReleased, NoteStarted
from djai_live.live.takes import TICKS_PER_BEAT, HostTime, TakeRecorder
from djai_live.midi_files import MidiReadError, read_midi_notes


class Host:
    """A host clock to hand the recorder: a tempo, and a beat that runs from ``beat_at_zero`` at t=0."""

    def __init__(self, bpm: float = 120.0, beat_at_zero: float | None = None) -> None:
        self.bpm, self.beat_at_zero = bpm, beat_at_zero

    def __call__(self, when: float) -> HostTime:
        beat = None if self.beat_at_zero is None else self.beat_at_zero + when * self.bpm / 60.0
        return HostTime(self.bpm, beat)


class Now:
    def __init__(self, t: float = 0.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def recorder(folder, now: Now, host: Host | None = None, **options) -> TakeRecorder:
    return TakeRecorder(folder, host or Host(), lambda: {"model": "test", "settings": {"mode": "phrase"}},
                        lambda: 4, clock=now, **options)


def send(take_recorder: TakeRecorder, now: Now, when: float, event) -> None:
    """An event published at ``when`` (the daemon's notes are stamped as they are published)."""
    now.t = when
    take_recorder(event)


def notes_by_track(path) -> dict[str, list[tuple[int, float, float]]]:
    midi = pretty_midi.PrettyMIDI(str(path))
    return {instrument.name: [(n.pitch, n.start, n.end) for n in instrument.notes] for instrument in midi.instruments}


def close_to(found: list[tuple[int, float, float]], wanted: list[tuple[int, float, float]], ms: float = 1.0) -> bool:
    return len(found) == len(wanted) and all(
        a[0] == b[0] and abs(a[1] - b[1]) * 1000 <= ms and abs(a[2] - b[2]) * 1000 <= ms for a, b in zip(found, wanted))


def test_a_take_keeps_every_note_of_both_parts_at_its_time(tmp_path):
    now = Now(100.0)
    takes = recorder(tmp_path, now)
    send(takes, now, 100.0, NoteHeard(60, 90, 1, 100.0123))   # the performer's: stamped at arrival by the edge
    send(takes, now, 100.52, NoteReleased(60, 1, 100.5177))
    send(takes, now, 100.7031, NoteStarted(64, 80, 500.0, 2, 0))
    send(takes, now, 101.2049, NoteEnded(64, 2, 0))
    send(takes, now, 101.3, NoteStarted(67, 70, 300.0, 3, 1))
    send(takes, now, 101.6001, NoteEnded(67, 3, 1))
    send(takes, now, 101.9, NoteHeard(62, 100, 1, 101.8999))
    send(takes, now, 102.4, NoteReleased(62, 1, 102.3997))
    takes.step(103.0)
    assert takes.take is not None and takes.take.path.exists()   # written while the take goes on
    takes.step(113.0)                                            # ten seconds of silence: the take ends
    assert takes.take is None and takes.takes_written == 1
    path = takes.last_path
    found = notes_by_track(path)
    start = 100.0123
    assert close_to(found["performer"], [(60, 0.0, 100.5177 - start), (62, 101.8999 - start, 102.3997 - start)])
    assert close_to(found["djai_live answer voice 0 channel 2"], [(64, 100.7031 - start, 101.2049 - start)])
    assert close_to(found["djai_live answer voice 1 channel 3"], [(67, 101.3 - start, 101.6001 - start)])
    midi = mido.MidiFile(str(path))
    channels = {m.channel for track in midi.tracks for m in track if m.type == "note_on"}
    assert channels == {0, 1, 2}                                 # channels 1, 2 and 3 as MIDI numbers them
    text = [m.text for m in midi.tracks[0] if m.type == "text"]
    assert text and '"model": "test"' in text[0]
    assert not list(tmp_path.glob("*.part"))


def test_a_note_still_sounding_ends_at_the_flush_and_the_take_goes_on(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now)
    send(takes, now, 0.0, NoteHeard(60, 90, 1, 0.0))
    takes.step(1.5)
    assert close_to(notes_by_track(takes.take.path)["performer"], [(60, 0.0, 1.5)])   # complete as it stands
    send(takes, now, 4.0, NoteReleased(60, 1, 4.0))
    takes.step(30.0)   # held notes are not silence: the silence counts from the release
    assert takes.take is None
    assert close_to(notes_by_track(takes.last_path)["performer"], [(60, 0.0, 4.0)])


def test_a_silence_ends_a_take_and_the_next_note_starts_another(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now, silence_s=5.0)
    send(takes, now, 0.0, NoteHeard(60, 90, 1, 0.0))
    send(takes, now, 1.0, NoteReleased(60, 1, 1.0))
    takes.step(5.9)
    assert takes.take is not None          # 4.9 s of silence: still the same take
    takes.step(6.1)
    first = takes.last_path
    send(takes, now, 7.0, NoteReleased(61, 1, 7.0))   # the end of a note nobody saw start: no take
    takes.step(7.1)
    assert takes.take is None
    send(takes, now, 8.0, NoteStarted(64, 80, 250.0, 1, 0))   # the daemon's note starts a take too
    send(takes, now, 8.25, NoteEnded(64, 1, 0))
    takes.step(20.0)
    assert takes.takes_written == 2 and takes.last_path != first
    assert list(notes_by_track(takes.last_path)) == ["djai_live answer voice 0 channel 1"]


def test_a_host_tempo_change_is_a_tempo_event_and_the_times_hold(tmp_path):
    now, host = Now(0.0), Host(120.0)
    takes = recorder(tmp_path, now, host=host)
    send(takes, now, 0.0, NoteHeard(60, 90, 1, 0.0))
    send(takes, now, 0.4, NoteReleased(60, 1, 0.4))
    takes.step(1.0)
    host.bpm = 90.0
    takes.step(2.0)                         # the writer samples the host's tempo as it flushes
    send(takes, now, 2.5, NoteHeard(62, 90, 1, 2.5))
    send(takes, now, 3.1, NoteReleased(62, 1, 3.1))
    takes.step(20.0)
    midi = mido.MidiFile(str(takes.last_path))
    tempi = [round(mido.tempo2bpm(m.tempo), 3) for m in midi.tracks[0] if m.type == "set_tempo"]
    assert tempi == [120.0, 90.0]
    assert close_to(notes_by_track(takes.last_path)["performer"], [(60, 0.0, 0.4), (62, 2.5, 3.1)])


def test_with_a_host_clock_the_take_s_bars_are_the_host_s(tmp_path):
    now = Now(10.0)
    host = Host(120.0, beat_at_zero=-14.5)   # at t = 10 s the host is on beat 5.5: bar 2, half way into beat 2
    takes = recorder(tmp_path, now, host=host)
    send(takes, now, 10.0, NoteHeard(60, 90, 1, 10.0))
    send(takes, now, 10.5, NoteReleased(60, 1, 10.5))
    takes.step(30.0)
    midi = mido.MidiFile(str(takes.last_path))
    performer = next(track for track in midi.tracks if track.name == "performer")
    first_on = 0
    for message in performer:
        first_on += message.time
        if message.type == "note_on":
            break
    assert first_on == round(1.5 * TICKS_PER_BEAT)   # 1.5 beats into the file's first bar, as into the host's
    assert notes_by_track(takes.last_path)["performer"][0][1] == pytest.approx(0.75, abs=1e-3)


def test_recording_off_ends_the_take_and_keeps_nothing_until_on(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now)
    send(takes, now, 0.0, NoteHeard(60, 90, 1, 0.0))
    takes.set_recording(False)
    takes.step(0.5)
    assert takes.take is None and takes.takes_written == 1
    assert close_to(notes_by_track(takes.last_path)["performer"], [(60, 0.0, 0.5)])
    send(takes, now, 1.0, NoteHeard(62, 90, 1, 1.0))
    takes.step(1.5)
    assert takes.take is None            # nothing kept while off
    takes.set_recording(True)
    send(takes, now, 2.0, NoteHeard(64, 90, 1, 2.0))
    takes.step(2.5)
    assert takes.take is not None and takes.take.path != takes.last_path


def test_all_notes_off_ends_the_daemon_s_notes_and_leaves_the_performer_s(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now)
    send(takes, now, 0.0, NoteHeard(48, 90, 1, 0.0))
    send(takes, now, 0.1, NoteStarted(64, 80, 2000.0, 2, 0))
    send(takes, now, 0.3, AllNotesOff({2: (64,)}, (2,)))
    send(takes, now, 0.8, NoteReleased(48, 1, 0.8))
    takes.step(20.0)
    found = notes_by_track(takes.last_path)
    assert close_to(found["performer"], [(48, 0.0, 0.8)])
    assert close_to(found["djai_live answer voice 0 channel 2"], [(64, 0.1, 0.3)])


def test_training_reads_a_take_s_performer_part_only(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now)
    for i in range(8):
        send(takes, now, i * 0.5, NoteHeard(60 + i, 90, 1, i * 0.5))
        send(takes, now, i * 0.5 + 0.1, NoteStarted(72 + i, 80, 200.0, 2, 0))
        send(takes, now, i * 0.5 + 0.3, NoteEnded(72 + i, 2, 0))
        send(takes, now, i * 0.5 + 0.4, NoteReleased(60 + i, 1, i * 0.5 + 0.4))
    takes.step(30.0)
    piece = read_midi_notes(takes.last_path)
    assert [track.name for track in piece.tracks] == ["performer"]
    assert piece.tracks[0].notes["pitch"].tolist() == list(range(60, 68))

    silent = TakeRecorder(tmp_path / "answers", Host(), dict, lambda: 4, clock=now)
    silent.folder.mkdir()
    send(silent, now, 40.0, NoteStarted(64, 80, 200.0, 1, 0))
    send(silent, now, 40.2, NoteEnded(64, 1, 0))
    silent.step(60.0)
    with pytest.raises(MidiReadError, match="only the daemon's notes"):
        read_midi_notes(silent.last_path)


def test_a_folder_that_cannot_hold_takes_is_one_clear_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="cannot record takes into .*a file"):
        recorder(blocker, Now()).start()


def test_a_take_written_whole_is_announced_with_its_length(tmp_path):
    now, written = Now(0.0), []
    takes = recorder(tmp_path, now, silence_s=5.0, on_take=lambda path, seconds: written.append((path, seconds)))
    send(takes, now, 0.0, NoteHeard(60, 90, 1, 0.0))
    send(takes, now, 3.5, NoteReleased(60, 1, 3.5))
    takes.step(4.0)
    assert written == []                          # still going
    takes.step(9.0)
    assert written == [(takes.last_path, 3.5)]    # from its first note to its last sound


def test_a_rolled_chord_in_a_take_is_read_as_one_onset(tmp_path):
    now = Now(0.0)
    takes = recorder(tmp_path, now)
    for pitch, at in ((60, 0.0), (64, 0.012), (67, 0.025), (72, 0.060)):   # a chord rolled over 25 ms, then a note
        send(takes, now, at, NoteHeard(pitch, 90, 1, at))
    for pitch in (60, 64, 67, 72):
        send(takes, now, 1.0, NoteReleased(pitch, 1, 1.0))
    takes.step(30.0)
    notes = read_midi_notes(takes.last_path).tracks[0].notes
    assert notes["onset"].tolist() == pytest.approx([0.0, 0.0, 0.0, 0.12], abs=1e-3)   # in beats at 120 BPM
    played = notes_by_track(takes.last_path)["performer"]
    assert [round(start, 3) for _, start, _ in played] == [0.0, 0.012, 0.025, 0.06]   # the file keeps them as played
