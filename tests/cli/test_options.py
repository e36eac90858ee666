"""A sweep of bad values over every option of every command: each is refused while parsing, as one usage line
naming the option, or accepted as a legitimate value; nothing escapes as a traceback."""
import argparse
import contextlib
import io

import pytest

from djai_live.cli import build_parser

BAD_VALUES = ["", "x", "nan", "inf", "-1", "0", "99999", "1e309", "/nonexistent/folder/file.mid", "1,x", "-"]
# Values of these kinds are legitimately accepted while parsing, and checked (or used) when the command runs:
# free names (a model name, a MIDI port name looked up when opened, a TOML file read first thing), a seed
# (any integer), scale words (checked by the same code as /djai/set, test_cli covers the message), map texts.
ACCEPTED_AT_PARSE = {
    "--model": set(BAD_VALUES), "--midi-in": set(BAD_VALUES), "--midi-out": set(BAD_VALUES),
    "--midi-control": set(BAD_VALUES), "--midi-map": set(BAD_VALUES),  # (tests/cli/test_serve_midi_map.py)
    "--config": set(BAD_VALUES), "--scale": set(BAD_VALUES), "--instrument-map": set(BAD_VALUES),
    "--output-map": set(BAD_VALUES), "--cache-dir": set(BAD_VALUES), "--copy-to": set(BAD_VALUES),
    "--pd-to": set(BAD_VALUES), "--musescore-to": set(BAD_VALUES),  # folders, made when they do not exist
    "--seed": {"-1", "0", "99999"}, "--max-leap": {"0", "99999"}, "--temperature": {"0", "99999"},
    "--transpose": {"0"}, "--average-transpositions": {"0"}, "--length": {"99999"}, "--epochs": {"99999"},
    "--layers": {"99999"}, "--units": {"99999"}, "--heads": {"99999"}, "--batch-size": {"99999"},
    "--sequence-length-i": {"99999"}, "--sequence-length-o": {"99999"}, "--instruments": {"99999"},
    "--workers": {"99999"}, "--max-files": {"99999"}, "--cpu-devices": {"99999"}, "--patience": {"99999"},
    "--lr-patience": {"99999"}, "--learning-rate": {"99999"}, "--max-minutes": {"99999"},
    "--pitch-min": {"0"}, "--pitch-max": {"0"},
    "--dropout": {"0"}, "--validation-split": {"0"}, "--track": {"0", "99999"} - {"99999"},
    "--velocity-scale": {"0"}, "--channel-in": {"0"}, "--clock-latency-ms": {"-1", "0"},
    "--carry-on-beats": {"0"}, "--wait-ms": {"0"},  # accompaniment: rest at once, do not wait
    "--voice": {"0", "99999"},  # harmonize: checked against the model's instruments when it is loaded
    "--json": set(BAD_VALUES) - {"", "/nonexistent/folder/file.mid"},  # an output name, or - for stdout
    # on/off switches take 0 for off; hosts: "0" is 0.0.0.0 and "99999" an IPv4 number, as getaddrinfo reads them
    "--interrupt": {"0"}, "--prepare-answers": {"0"}, "--midi-feedback": {"0"},
    "--osc-host": {"0", "99999"}, "--reply-host": {"0", "99999"},
    "--take-silence": {"99999"}, "--adapt-every": {"99999"},   # a long silence, a long set between adaptations
    "--ui-host": {"0", "99999"},
    "--staff": set(BAD_VALUES) - {""},   # add-staves: a staff's name is free text (an empty one is refused)
    "--like": {"99999"},                 # add-staves: checked against the score's staves when it is read
}
# Output names: any file name in an existing folder is fine ("x" is ./x); folders and missing folders are not.
for _flag in ("--out", "--plot", "--wav", "--output", "--record"):  # (--record: a folder, made when missing)
    ACCEPTED_AT_PARSE[_flag] = set(BAD_VALUES) - {"", "/nonexistent/folder/file.mid"}
REQUIRED = {
    "prepare": ["{dir}", "-o", "{dir}/cache"], "train": ["{dir}", "-o", "{dir}/m.keras"],
    "generate": ["--prompt", "{file}", "--out", "{dir}/o.mid"], "evaluate": ["{dir}"],
    "serve": [], "ports": [], "patches": [], "harmonize": ["{file}", "-o", "{dir}/o.mid"],
    "continue": ["{file}", "-o", "{dir}/o.mid"], "add-staves": ["{file}", "-o", "{dir}/o.mscx", "--staff", "A"],
}


def _options():
    parser = build_parser()
    for name, command in parser._subparsers._group_actions[0].choices.items():
        for action in command._actions:
            if action.option_strings and action.nargs != 0 and not isinstance(action, argparse._HelpAction):
                yield name, "/".join(action.option_strings)


def _parse(argv):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit:
            return exit.code, stderr.getvalue()
    return 0, stderr.getvalue()


@pytest.mark.parametrize("command, option", sorted(set(_options())))
def test_every_bad_value_is_one_usage_line_or_legitimately_accepted(tmp_path, chorale, command, option):
    required = [a.format(dir=tmp_path, file=chorale) for a in REQUIRED[command]]
    flag = option.split("/")[-1]
    accepted = set()
    for value in BAD_VALUES:
        code, stderr = _parse([command, *required, flag, value])  # an exception here fails the test
        if code == 0:
            accepted.add(value)
            continue
        assert code == 2
        lines = stderr.strip().splitlines()
        assert lines[-1].startswith(f"djai-live {command}: error: argument {option}"), stderr
        assert sum("error:" in line for line in lines) == 1
    assert accepted <= ACCEPTED_AT_PARSE.get(flag, set()), f"{option} accepted {sorted(accepted)}"


@pytest.mark.parametrize("spelling", [["--config={path}"], ["--conf", "{path}"], ["--config", "{path}"]])
def test_the_config_file_is_read_in_every_spelling_argparse_accepts(tmp_path, spelling):
    """`--config=FILE` and abbreviations once left the file unread and the daemon started on its defaults:
    a missing file and a misspelt key must be one error line whichever way the flag is written."""
    import subprocess
    import sys

    missing = tmp_path / "missing.toml"
    misspelt = tmp_path / "live.toml"
    misspelt.write_text('[serve]\nosc_prot = 9123\n')
    for path, expected in ((missing, "cannot read the config file"), (misspelt, "did you mean 'osc_port'?")):
        flags = [word.format(path=path) for word in spelling]
        result = subprocess.run([sys.executable, "-m", "djai_live.cli", "serve", *flags], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 1 and expected in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_bad_value_is_the_short_usage_line_and_one_error():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "djai_live.cli", "serve", "--osc-port", "99999"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["usage: djai-live serve [flags] ... (`djai-live serve --help` lists them)",
                                          "djai-live serve: error: argument --osc-port: must be a UDP port 1-65535, "
                                          "got 99999"]


def test_a_misspelt_bundled_model_is_answered_with_the_bundled_names():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "djai_live.cli", "serve", "--model", "chorael"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "did you mean 'chorale'? bundled models: chorale, default" in result.stderr \
        or "did you mean 'chorale'? bundled models: default, chorale" in result.stderr, result.stderr
