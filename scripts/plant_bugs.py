"""Plant each known bug in a scratch copy of the repository and run the tests that must catch it.

Evidence for issue 16 (bugs moved with the code in issue 24): every bug the suite once missed, planted on purpose, makes at least one test
fail. Each bug is a textual patch (one exact, unique snippet replaced) applied to a fresh copy; the
working tree is never touched. Prints one line per bug: caught (the named tests failed) or MISSED.

    python3 scripts/plant_bugs.py               # every bug
    python3 scripts/plant_bugs.py --only osc    # bugs whose name contains "osc"
    python3 scripts/plant_bugs.py --baseline    # also run each bug's tests unpatched: they must pass
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".hypothesis", "*.egg-info", ".benchmarks",
                                 "out", "build", "dist")


@dataclass(frozen=True)
class Bug:
    name: str
    path: str          # file to patch, relative to the repository root
    old: str           # exact snippet, must occur once
    new: str           # what it becomes
    tests: tuple[str, ...]  # pytest node ids that must fail


BUGS = [
    Bug("streaming: transposition switched off", "djai_live/streaming.py",
        "            if transpose:\n", "            if False:\n",
        ("tests/test_streaming.py::test_transposition_moves_each_window_and_its_targets_by_one_interval",)),
    Bug("streaming: targets not shifted with the inputs", "djai_live/streaming.py",
        "return inputs + offset * tf.cast(real, tf.int32)[:, :, None], targets + offset * tf.cast(real, tf.int32)[:, :, None]",
        "return inputs + offset * tf.cast(real, tf.int32)[:, :, None], targets",
        ("tests/test_streaming.py::test_transposition_moves_each_window_and_its_targets_by_one_interval",)),
    Bug("protocol: integer arguments never range-checked", "djai_live/live/protocol.py",
        "    if not low <= value <= high:\n        raise ProtocolError(f\"{address}: {name} must be {low}-{high}, got {value}\")",
        "    if False:\n        raise ProtocolError(f\"{address}: {name} must be {low}-{high}, got {value}\")",
        ("tests/live/test_protocol.py::test_fuzzed_messages_never_escape_as_anything_but_protocol_errors",)),
    Bug("protocol: channel accepted up to 99", "djai_live/live/protocol.py",
        'channel = integer(address, "channel", args[2], 1, 16)', 'channel = integer(address, "channel", args[2], 1, 99)',
        ("tests/live/test_protocol.py::test_every_note_inside_the_ranges_is_accepted_and_every_one_outside_refused",)),
    Bug("protocol: fractional pitches truncated instead of refused", "djai_live/live/protocol.py",
        "    if value != int(value):\n", "    if False:\n",
        ("tests/live/test_protocol.py::test_every_note_inside_the_ranges_is_accepted_and_every_one_outside_refused",)),
    Bug("protocol: tempo range widened to 0-4000", "djai_live/live/protocol.py",
        'number(address, "bpm", args[0], 20.0, 400.0)', 'number(address, "bpm", args[0], 0.0, 4000.0)',
        ("tests/live/test_protocol.py::test_single_numbers_are_accepted_exactly_inside_their_range",)),
    Bug("osc out: /djai/note sends velocity 0", "djai_live/live/osc.py",
        "NOTE_HEAD + write_int(pitch) + write_int(velocity)", "NOTE_HEAD + write_int(pitch) + write_int(0)",
        ("tests/live/test_outbound.py::test_phrase_notes_and_note_offs_carry_every_field",)),
    Bug("osc out: /djai/note sends duration -1", "djai_live/live/osc.py",
        "+ write_float(round(duration_ms, 3)) + write_int(channel))", "+ write_float(-1.0) + write_int(channel))",
        ("tests/live/test_outbound.py::test_phrase_notes_and_note_offs_carry_every_field",)),
    Bug("osc out: /djai/note sends channel 99", "djai_live/live/osc.py",
        "+ write_float(round(duration_ms, 3)) + write_int(channel))", "+ write_float(round(duration_ms, 3)) + write_int(99))",
        ("tests/live/test_outbound.py::test_phrase_notes_and_note_offs_carry_every_field",)),
    Bug("osc out: /djai/note_off on channel 1 whatever the note's channel", "djai_live/live/osc.py",
        "NOTE_OFF_HEAD + write_int(pitch) + write_int(channel)", "NOTE_OFF_HEAD + write_int(pitch) + write_int(1)",
        ("tests/live/test_outbound.py::test_phrase_notes_and_note_offs_carry_every_field",)),
    Bug("osc out: /djai/phrase with pitch and velocity swapped", "djai_live/live/osc.py",
        "round(note.onset_ms, 3), note.pitch, note.velocity, round(note.duration_ms, 3)",
        "round(note.onset_ms, 3), note.velocity, note.pitch, round(note.duration_ms, 3)",
        ("tests/live/test_outbound.py::test_phrase_notes_and_note_offs_carry_every_field",)),
    Bug("osc out: /djai/error never rate-limited", "djai_live/live/osc.py",
        "            if self._error_budget < 1.0:\n", "            if False:\n",
        ("tests/live/test_outbound.py::test_errors_are_rate_limited_but_every_rejection_is_counted",)),
    Bug("osc out: rejected messages not counted in status", "djai_live/live/conductor.py",
        "        self.rejected += 1\n", "",
        ("tests/live/test_outbound.py::test_errors_are_rate_limited_but_every_rejection_is_counted",)),
    Bug("osc out: /djai/key not announced when the scale changes", "djai_live/live/conductor.py",
        '            if name in ("scale", "key"):\n                self.announce_key()\n', "",
        ("tests/live/test_outbound.py::test_key_is_sent_after_status_and_when_the_scale_answers_keep_to_changes",)),
    Bug("osc out: /djai/key repeated although nothing changed", "djai_live/live/conductor.py",
        "        if always or words != self._key_sent:", "        if True:",
        ("tests/live/test_outbound.py::test_key_is_sent_after_status_and_when_the_scale_answers_keep_to_changes",)),
    Bug("osc out: status counts notes_out wrong", "djai_live/live/call_response.py",
        "counters.notes_out += len(phrase.notes)", "counters.notes_out += 1",
        ("tests/live/test_outbound.py::test_status_names_every_parameter_counter_and_clock_field_with_its_value",)),
    Bug("call and response: interrupt on ignored", "djai_live/live/call_response.py",
        "if listening.settings.interrupt and listening.settings.channel_in in (0, channel):",
        "if False and listening.settings.channel_in in (0, channel):",
        ("tests/live/test_outbound.py::test_interrupt_on_drops_the_rest_of_the_answer_when_the_performer_plays",)),
    Bug("call and response: interrupt off ignored", "djai_live/live/call_response.py",
        "if listening.settings.interrupt and listening.settings.channel_in in (0, channel):",
        "if listening.settings.channel_in in (0, channel):",
        ("tests/live/test_outbound.py::test_interrupt_off_lets_the_answer_play_out_under_the_performer",)),
    Bug("flood: drops not counted", "djai_live/live/queue.py",
        "                self.dropped += 1\n", "                pass\n", ("tests/live/test_daemon.py::test_a_flood_drops_the_oldest_notes_counts_them_and_serves_control_messages",)),
    Bug("flood: the note lane grows without bound", "djai_live/live/queue.py",
        "self._notes: deque = deque(maxlen=capacity)", "self._notes: deque = deque()", ("tests/live/test_daemon.py::test_a_flood_drops_the_oldest_notes_counts_them_and_serves_control_messages",)),
    Bug("flood: /djai/status reports dropped as 0", "djai_live/live/conductor.py",
        '("dropped", edges["dropped"])', '("dropped", 0)', ("tests/live/test_daemon.py::test_a_flood_drops_the_oldest_notes_counts_them_and_serves_control_messages",)),
    Bug("flood: control messages share the note lane", "djai_live/live/queue.py",
        "lane = self._control if control else self._notes", "lane = self._notes", ("tests/live/test_daemon.py::test_a_flood_drops_the_oldest_notes_counts_them_and_serves_control_messages",)),
    Bug("listening: re-primes from L notes at every note past L (context never reaches 2L)", "djai_live/live/listening.py",
        "self.steps_since_prime >= 2 * limit:", "self.steps_since_prime >= limit:", ("tests/live/test_listening.py::test_the_live_context_stays_between_l_and_2l_notes",)),
    Bug("listening: never re-primes (context grows without bound)", "djai_live/live/listening.py",
        "if self.state is not None and self.steps_since_prime >= 2 * limit:", "if False:", ("tests/live/test_listening.py::test_the_live_context_stays_between_l_and_2l_notes",)),
    Bug("listening: re-primes from one note too few", "djai_live/live/listening.py",
        "start = max(0, upto - self.config.sequence_length_i)", "start = max(0, upto - self.config.sequence_length_i + 1)",
        ("tests/live/test_listening.py::test_the_live_context_stays_between_l_and_2l_notes",)),
    Bug("runtime: views transposed back the wrong way (ViewMixer, shared by the old reference)",
        "djai_live/transposition.py", "source = np.arange(128)[None, :] + self.shifts[:, None]",
        "source = np.arange(128)[None, :] - self.shifts[:, None]", ("tests/test_runtime.py::test_transposition_averaging_matches_keras_views_mixed",)),
    Bug("training: learning rate reduced by 0.7, not halved", "djai_live/training.py",
        "factor=LR_REDUCTION_FACTOR,", "factor=0.7,",
        ("tests/test_training.py::test_lr_patience_halves_the_rate_exactly_when_validation_stalls",)),
    Bug("training: resume restores nothing (the checkpoint goes to a new place each run)", "djai_live/training.py",
        'keras.callbacks.BackupAndRestore(str(backup / "state"), delete_checkpoint=False)',
        'keras.callbacks.BackupAndRestore(str(backup / f"state{id(model)}"), delete_checkpoint=False)',
        ("tests/test_training.py::test_interrupt_keeps_the_best_model_and_resume_continues",)),
    Bug("evaluation: drum tracks scored", "djai_live/midi_files.py",
        "if instrument.is_drum and not include_drums:", "if False:", ("tests/test_evaluation.py::test_drum_tracks_are_not_scored",)),
    Bug("evaluation: the Markov baseline sees the note it predicts", "djai_live/evaluation.py",
        "model.distribution(pitches[max(0, i - context):i])", "model.distribution(pitches[max(0, i - context):i + 1])",
        ("tests/test_evaluation.py::test_markov_baselines_score_every_note_after_the_first_of_each_track",)),
    Bug("evaluate: --files-from ignored", "djai_live/cli/corpus_files.py",
        "        if files_from is not None:\n", "        if False:\n",
        ("tests/test_evaluation.py::test_files_from_scores_only_the_listed_files",)),
    Bug("evaluation: the model scored on transposed input", "djai_live/evaluation.py",
        "view = transpose_tokens(batch, int(shift)) if shift else batch", "view = transpose_tokens(batch, 5)",
        ("tests/test_evaluation.py::test_the_bundled_model_scores_above_its_floor_on_unseen_music",)),
    Bug("prepared: a known path is reused whatever its size or time", "djai_live/prepared.py",
        "if entry is not None and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):",
        "if entry is not None:", ("tests/test_prepared.py::test_a_file_edited_in_place_is_parsed_again_and_read_back_new",)),
    Bug("prepared: a known path is reused when its size is unchanged", "djai_live/prepared.py",
        "if entry is not None and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):",
        "if entry is not None and entry.size == stat.st_size:", ("tests/test_prepared.py::test_a_file_edited_in_place_is_parsed_again_and_read_back_new",)),
    Bug("ports: inputs and outputs swapped", "djai_live/live/midi.py",
        "return chosen.get_input_names(), chosen.get_output_names()",
        "return chosen.get_output_names(), chosen.get_input_names()", ("tests/live/test_midi_jack.py::test_ports_lists_the_jack_ports",)),
    Bug("midi in: Song Position's value dropped", "djai_live/live/midi.py",
        'self.on_realtime("songpos", when, payload[1] | (payload[2] << 7))', 'self.on_realtime("songpos", when, None)',
        ("tests/live/test_midi_jack.py::test_midi_clock_through_a_real_port_start_stop_and_song_position",)),
    Bug("midi in: Stop not passed to the clock", "djai_live/live/midi.py",
        'REALTIME = {0xF8: "clock", 0xFA: "start", 0xFB: "continue", 0xFC: "stop"}',
        'REALTIME = {0xF8: "clock", 0xFA: "start", 0xFB: "continue"}',
        ("tests/live/test_midi_jack.py::test_midi_clock_through_a_real_port_start_stop_and_song_position",)),
    Bug("midi in: JACK read by a callback on its process thread (ticks lost while the interpreter is busy)",
        "djai_live/live/midi.py", "        if rt.get_current_api() != rtmidi.API_UNIX_JACK:\n",
        "        if True:\n", ("tests/live/test_midi_jack.py::test_jack_input_keeps_every_tick_while_the_interpreter_is_busy",)),
    Bug("midi clock: ticks lost right after Start not counted", "djai_live/live/midi_clock.py",
        "        elif lost and self._origin is not None:", "        elif False:",
        ("tests/live/test_clock.py::test_ticks_lost_right_after_start_put_beat_one_where_the_host_had_it",)),
    Bug("midi clock: ticks while stopped move the song position", "djai_live/live/midi_clock.py",
        "                self._song_tick = self._next_tick - self._origin", "                self._song_tick = 0",
        ("tests/live/test_clock.py::test_ticks_while_stopped_keep_the_tempo_but_not_move_the_song_position",)),
    Bug("midi clock: a reopened port keeps its old phase", "djai_live/live/conductor.py",
        "            clock.lose_phase(reason)", "            pass",
        ("tests/live/test_midi_clock_phase.py::test_after_the_device_comes_back_the_phase_waits_for_the_next_start",)),
    Bug("midi in: JACK's half-cycle delivery not taken off the stamps", "djai_live/live/midi.py",
        "        return self.elapsed + min(self.offsets) - self.delivery_s", "        return self.elapsed + min(self.offsets)",
        ("tests/live/test_ports.py::test_the_jack_watcher_sets_the_half_cycle_delivery_on_the_input",)),
    Bug("events: a pitch drawn twice at one onset is played twice", "djai_live/live/events.py",
        "        if twin is None:\n            merged.append(note)", "        if True:\n            merged.append(note)",
        ("tests/live/test_call_response.py::test_one_pitch_drawn_twice_at_one_onset_is_one_note",)),
    Bug("daemon: start-up all-notes-off before the inputs are bound", "djai_live/live/daemon.py",
        "        self._open_inputs()\n        sys.setswitchinterval", "        self.scheduler.all_notes_off(ALL_CHANNELS)\n        self._open_inputs()\n        sys.setswitchinterval",
        ("tests/live/test_daemon.py::test_a_second_daemon_that_cannot_start_sends_nothing_to_the_host",)),
    Bug("accompany: the shadow context takes its first note with its time and interval", "djai_live/live/band.py",
        "            token = first_of_context(token)\n", "            pass\n", ("tests/live/test_accompany.py::test_the_context_is_what_priming_its_last_notes_gives_and_is_tidied_a_step_at_a_time",)),
    Bug("accompany: a held note keeps the old context's state after the swap", "djai_live/live/band.py",
        "        held.state, held.logits = state, logits if logits is not None else held.logits", "        pass", ("tests/live/test_accompany.py::test_the_context_is_what_priming_its_last_notes_gives_and_is_tidied_a_step_at_a_time",)),
    Bug("accompany: a held note folded again leaves the shadow with its old duration", "djai_live/live/accompany.py",
        "            self.band.shadow = Shadow(shadow.start, shadow.start)", "            pass", ("tests/live/test_accompany.py::test_the_context_is_what_priming_its_last_notes_gives_and_is_tidied_a_step_at_a_time",)),
    Bug("accompany: a rehearsal leaves the random generator where it was", "djai_live/live/accompany.py",
        "            listening.rng.bit_generator.state = rehearsal.rng_state", "            pass", ("tests/live/test_accompany.py::test_a_rehearsed_chord_is_exactly_the_chord_drawn_on_the_spot",)),
    Bug("accompany: a rehearsal changes the real voices", "djai_live/live/band.py",
        "voices=dict(self.voices)", "voices=self.voices", ("tests/live/test_accompany.py::test_a_rehearsed_chord_is_exactly_the_chord_drawn_on_the_spot",)),
    Bug("accompany: rehearsals outlive a setting change", "djai_live/live/accompany.py",
        "return (self.band.version, tuple(self.listening.settings.items()), ", "return (self.band.version, ", ("tests/live/test_accompany.py::test_a_rehearsal_expires_when_a_setting_changes",)),
    Bug("accompany: an abandoned rehearsal keeps what it changed", "djai_live/live/accompany.py",
        "            recording.rng_state = rng.bit_generator.state\n        finally:\n",
        "            recording.rng_state = rng.bit_generator.state\n        except ZeroDivisionError:\n            pass\n        if True:\n",
        ("tests/live/test_accompany.py::test_a_rehearsal_stops_at_the_model_step_where_a_note_comes_and_is_done_again_later",)),
    Bug("accompany: rehearsing goes on while a note waits", "djai_live/live/accompany.py",
        "            except Abandoned:\n                break  # left at the head of the queue\n",
        "            except Abandoned:\n                self.rehearsal_queue.pop(0)\n                continue\n",
        ("tests/live/test_accompany.py::test_a_rehearsal_stops_at_the_model_step_where_a_note_comes_and_is_done_again_later",)),
    Bug("listening: key auto weighs instant notes by their jitter", "djai_live/live/listening.py",
        "max(n.duration, KEY_SHORTEST_NOTE_S) if n.duration", "n.duration if n.duration",
        ("tests/live/test_call_response.py::test_key_auto_is_not_decided_by_a_few_milliseconds_of_jitter_on_instant_notes",)),
    Bug("scheduler: waits for note-offs of notes already ended", "djai_live/live/scheduler.py",
        "                if self._drop_stale_note_offs_locked():", "                if False:", ("tests/live/test_scheduler.py::test_a_note_ended_early_leaves_nothing_due",)),
    Bug("scheduler: accompaniment notes missing from the memory-free sweep", "djai_live/live/scheduler.py",
        "            self._ever_sent[(channel - 1) * 128 + pitch] = 1\n            self.publish(NoteStarted(pitch, velocity, duration_ms, channel, voice))\n            off = ",
        "            self.publish(NoteStarted(pitch, velocity, duration_ms, channel, voice))\n            off = ", ("tests/live/test_scheduler.py::test_the_sweep_covers_the_accompaniments_notes_too",)),
    Bug("events: a queued subscriber's queue grows without bound", "djai_live/live/events.py",
        "self._queue: deque = deque(maxlen=capacity)", "self._queue: deque = deque()",
        ("tests/live/test_events.py::test_a_slow_subscriber_never_delays_the_publisher_and_loses_the_oldest_events_counted",)),
    Bug("events: a failing inline subscriber silences the others", "djai_live/live/events.py",
        "            except Exception as error:  # a dead port must not silence the other outputs",
        "            except ZeroDivisionError as error:",
        ("tests/live/test_events.py::test_a_failing_subscriber_is_logged_and_the_others_still_receive",
         "tests/live/test_scheduler.py::test_a_failing_subscriber_does_not_stop_the_others")),
    Bug("conductor: a mode the model cannot play is kept anyway", "djai_live/live/conductor.py",
        "                    self.settings.mode = previous_mode\n", "",
        ("tests/live/test_conductor.py::test_a_mode_the_model_cannot_play_is_rejected_and_nothing_changes",)),
    Bug("policy: a change of mode within one policy builds a new one", "djai_live/live/policy.py",
        "    if current is not None and type(current) is cls:", "    if False:",
        ("tests/live/test_policy.py::test_a_change_within_a_policy_keeps_it_and_a_change_of_policy_rests_the_old_one",)),
    Bug("call and response: every mode never answers", "djai_live/live/policy.py",
        '"every": (_call_and_response, {"answer_after": "notes"})', '"every": (_call_and_response, {"answer_after": "silence"})',
        ("tests/live/test_call_response.py::test_every_mode_answers_every_n_notes",)),
]

def scratch_copy(destination: Path) -> Path:
    shutil.copytree(ROOT, destination, ignore=IGNORED, symlinks=True)
    return destination


def apply(bug: Bug, root: Path) -> None:
    target = root / bug.path
    text = target.read_text()
    if text.count(bug.old) != 1:
        raise SystemExit(f"{bug.name}: the snippet occurs {text.count(bug.old)} times in {bug.path}, not once "
                         "(the code moved: update scripts/plant_bugs.py)")
    target.write_text(text.replace(bug.old, bug.new))


# A bug planted here could change the tiny model the tests train: those runs train their own.
TRAINING_CODE = ("djai_live/training.py", "djai_live/model.py", "djai_live/streaming.py", "djai_live/windows.py",
                 "djai_live/encoding.py", "djai_live/prepared.py", "djai_live/corpus.py", "djai_live/midi_files.py", "djai_live/config.py",
                 "tests/conftest.py")


def run_tests(root: Path, tests: tuple[str, ...], timeout: float, tiny_model: Path | None = None) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJAI_LIVE_TEST_TINY_MODEL_DIR", None)
    if tiny_model is not None:
        env["DJAI_LIVE_TEST_TINY_MODEL_DIR"] = str(tiny_model)
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    try:
        completed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, "timed out"
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    return completed.returncode, lines[-1] if lines else completed.stderr.strip()[-200:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run only the bugs whose name contains this")
    parser.add_argument("--baseline", action="store_true", help="first run each bug's tests on an unpatched copy")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run")
    args = parser.parse_args()
    bugs = [bug for bug in BUGS if args.only.lower() in bug.name.lower()]
    missed = 0
    with tempfile.TemporaryDirectory(prefix="djai_plant_") as scratch:
        if args.baseline:
            clean = scratch_copy(Path(scratch) / "clean")
            tests = tuple(dict.fromkeys(test for bug in bugs for test in bug.tests))
            code, summary = run_tests(clean, tests, args.timeout, Path(scratch) / "tiny_model")
            print(f"baseline (unpatched): {'pass' if code == 0 else 'FAIL'}: {summary}", flush=True)
            if code != 0:
                return 2
        for index, bug in enumerate(bugs):
            root = scratch_copy(Path(scratch) / f"bug{index}")
            apply(bug, root)
            started = time.monotonic()
            shared = None if bug.path in TRAINING_CODE else Path(scratch) / "tiny_model"
            code, summary = run_tests(root, bug.tests, args.timeout, shared)
            caught = code not in (0, -1, 5)  # 5: no tests collected
            missed += not caught
            print(f"{'caught' if caught else 'MISSED'}  {bug.name}  [{', '.join(t.split('::')[-1] for t in bug.tests)}] "
                  f"({summary}; {time.monotonic() - started:.0f} s)", flush=True)
            shutil.rmtree(root, ignore_errors=True)
    print(f"{len(bugs) - missed} of {len(bugs)} planted bugs caught")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
