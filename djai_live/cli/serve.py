"""``djai-live serve``: the live co-improviser over OSC and/or MIDI (live path: no TensorFlow)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .options import (CommandError, HelpFormatter, add_model_flag, add_transposition_flag, existing_dir, host,
                      integer, on_off, output_dir, port, positive, tcp_port)

log = logging.getLogger("djai_live")
MIDI_APIS = ("alsa", "jack", "coremidi", "windows")
UI_PORT = 9080


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    from ..live.settings import LiveSettings
    from ..scales import Scale

    serve = commands.add_parser("serve", parents=parents, formatter_class=HelpFormatter,
                                help="run the live co-improviser (OSC and/or MIDI)",
                                description="Listen to a performer over OSC and/or MIDI and answer in real time. "
                                "Every /djai/set parameter is also a flag here.")
    add_model_flag(serve)
    add_transposition_flag(serve, 0, "0 whatever the model file says: on a small CPU each view costs answer "
                           "latency")
    serve.add_argument("--osc-host", type=host, default="127.0.0.1", help="address to listen on (anything but "
                       "127.0.0.1 exposes the daemon to the network)")
    serve.add_argument("--osc-port", type=port, default=9000, help="UDP port the daemon listens on")
    serve.add_argument("--reply-host", type=host, default="127.0.0.1", help="where answers are sent")
    serve.add_argument("--reply-port", type=port, default=9001, help="UDP port answers are sent to")
    serve.add_argument("--no-osc", action="store_true", help="MIDI only")
    serve.add_argument("--midi-in", default=None, help="input port name (or part of it), or 'virtual'")
    serve.add_argument("--midi-out", default=None, help="output port name (or part of it), or 'virtual'")
    serve.add_argument("--midi-control", default=None, metavar="NAME",
                       help="a separate controller's output port (or part of its name), or 'virtual': only its "
                       "mapped controls count (see --midi-map)")
    serve.add_argument("--midi-map", default=None, metavar="FILE",
                       help="MIDI controls: a TOML map of control changes, program changes and pads to live "
                       "parameters and actions, or 'example' for the bundled one; /djai/learn writes to it "
                       "(default: nothing is mapped, or the --config file's [midi_map] table)")
    serve.add_argument("--midi-feedback", type=on_off, default="off", metavar="{on,off}",
                       help="send each changed parameter back as its mapped control change on --midi-out, so "
                       "motorised faders and LED rings follow")
    serve.add_argument("--midi-api", choices=MIDI_APIS, default=None, help="MIDI backend (default: the platform's)")
    serve.add_argument("--seed", type=integer, default=None, help="fix the sampling for reproducible sessions")
    serve.add_argument("--models-dir", type=existing_dir, default=None, metavar="DIR",
                       help="the folder /djai/load may read model files from (default: the folder of --model); "
                       "bundled models load by name")
    serve.add_argument("--record", type=output_dir, default=None, metavar="DIR",
                       help="keep every take (the performer's notes and the daemon's) as a MIDI file in DIR, "
                       "created if missing; /djai/record on|off switches it")
    serve.add_argument("--take-silence", type=positive, default=10.0, metavar="SECONDS",
                       help="this long with nothing played or sounding ends a take (default 10)")
    serve.add_argument("--adapt-every", type=positive, default=None, metavar="MINUTES",
                       help="with --record: after every MINUTES of takes, adapt the model to them when a take "
                       "ends (as /djai/adapt does)")
    serve.add_argument("--no-realtime", action="store_true",
                       help="do not ask the OS for real-time scheduling (SCHED_FIFO) for the thread that sends notes")
    # The default as the user writes it ("on"): argparse passes a string default through on_off, and --help
    # shows it as typed rather than as True.
    serve.add_argument("--prepare-answers", type=on_off, default="on", metavar="{on,off}",
                       help="draw the next answer while the performer is between notes, so a request finds it "
                       "ready")
    serve.add_argument("--ui", type=tcp_port, nargs="?", const=UI_PORT, default=None, metavar="PORT",
                       help=f"serve the live page (piano roll, clock, key, counters, every control) on this TCP "
                       f"port ({UI_PORT} if none is given); its address is in the ready line")
    serve.add_argument("--ui-host", type=host, default="127.0.0.1",
                       help="address the page listens on (anything but 127.0.0.1 needs the token of the ready line)")
    serve.add_argument("--config", type=Path, default=None, metavar="LIVE.toml",
                       help="read flags from a TOML file: a [serve] table of flag names (flags given here win) "
                       "and [[instrument]] tables (index, in_channels, out_channel)")
    serve.add_argument("--instrument-map", default=None, metavar="CH:INST,...",
                       help="which model instrument each input MIDI channel plays, e.g. 1:0,2:1,10:2")
    serve.add_argument("--output-map", default=None, metavar="INST:CH,...",
                       help="the MIDI channel each generated instrument plays on (default: the channel it is "
                       "heard on, else channel_out; with --mode accompany, instrument i on channel i + 1)")
    defaults = LiveSettings()
    for name, (kind, low, high) in LiveSettings.RANGES.items():
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            serve.add_argument(flag, type=on_off, default=None, metavar="{on,off}",
                               help=f"live parameter {name} (default {'on' if getattr(defaults, name) else 'off'})")
        elif isinstance(kind, tuple):
            serve.add_argument(flag, choices=kind, default=None,
                               help=f"live parameter {name} (default {getattr(defaults, name)})")
        elif kind is Scale:
            serve.add_argument(flag, nargs="+", default=None, metavar="WORD",
                               help="live parameter scale: NAME [ROOT] (major C, dorian D, ...), or custom and "
                               "pitch classes 0-11 (default chromatic)")
        else:  # int or float, with both bounds (RANGES holds rows of every kind, so mypy sees object and None)
            serve.add_argument(flag, type=_live_number(name, kind, low, high),  # type: ignore[arg-type]
                               default=None,
                               help=f"live parameter {name}, {low}-{high} (default {getattr(defaults, name)})")
    serve.set_defaults(run=run)


def _live_number(name: str, kind: type, low: float, high: float):
    """A parse-time check of a live parameter's range, with the same words as /djai/set."""
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be {low}-{high}, got {text}")
        return value

    parse.__name__ = name
    return parse


def run(args: argparse.Namespace) -> int:
    from ..live.daemon import ServeOptions, serve
    from ..live.instruments import InstrumentMap, InstrumentMapError
    from ..live.policy import PolicyError, check_mode
    from ..live.settings import LiveSettings, SettingError
    from ..model_files import read_config, resolve_model_path

    config = read_config(resolve_model_path(args.model))
    settings = LiveSettings(length=config.sequence_length_o)
    try:
        if config.live_temperature is not None and args.temperature is None:
            settings.set("temperature", config.live_temperature)
        for name in LiveSettings.RANGES:
            value = getattr(args, name)
            if value is not None:
                settings.set(name, *(value if isinstance(value, list) else [value]))
    except SettingError as error:
        raise CommandError(str(error)) from None
    try:
        check_mode(settings.mode, config)
    except PolicyError as error:
        raise CommandError(f"--mode {settings.mode}: {error} (model {args.model}; try --model chorale)") from None
    if args.adapt_every is not None and args.record is None:
        raise CommandError("--adapt-every adapts the model to the takes kept by --record DIR: give both")
    if args.no_osc and not (args.midi_in or args.midi_out or args.midi_control):
        raise CommandError("--no-osc needs --midi-in and/or --midi-out, or there is nothing to listen to")
    try:
        instruments = InstrumentMap.from_tables(args.instrument_tables or [], str(args.config)) \
            if getattr(args, "instrument_tables", None) else InstrumentMap()
        flags = InstrumentMap.parse(args.instrument_map, args.output_map)
    except InstrumentMapError as error:
        raise CommandError(str(error)) from None
    instruments.inputs.update(flags.inputs)
    instruments.outputs.update(flags.outputs)
    if (instruments.inputs or instruments.outputs) and config.num_instruments < 2:
        log.warning("the model has one instrument: the instrument map and output map are ignored")
    control_map = read_midi_map(args, config)
    if args.midi_feedback and not args.midi_out:
        log.warning("--midi-feedback on: there is no --midi-out to send the values back on")
    options = ServeOptions(model=args.model, osc=not args.no_osc, osc_host=args.osc_host, osc_port=args.osc_port,
                           reply_host=args.reply_host, reply_port=args.reply_port, midi_in=args.midi_in,
                           midi_out=args.midi_out, midi_api=args.midi_api, seed=args.seed, instruments=instruments,
                           prepare_answers=args.prepare_answers,
                           average_transpositions=args.average_transpositions, realtime=not args.no_realtime,
                           models_dir=str(args.models_dir) if args.models_dir is not None else None,
                           midi_control=args.midi_control, midi_map=control_map, midi_feedback=args.midi_feedback,
                           record=str(args.record) if args.record is not None else None,
                           take_silence_s=args.take_silence,
                           adapt_every_s=args.adapt_every * 60.0 if args.adapt_every is not None else None,
                           ui_port=args.ui, ui_host=args.ui_host)
    try:
        return serve(options, settings)
    except OSError as error:
        raise CommandError(str(error)) from None


def read_midi_map(args: argparse.Namespace, config):
    """The MIDI map: --midi-map FILE (or 'example'), else the --config file's [midi_map]; None: nothing is
    mapped. Each bad entry is said in one line and left out; a file that cannot be read stops the start."""
    from ..live.control_map import MapError, example_map_path, load_toml, parse_map, read_map_file
    from ..live.policy import PolicyError, check_mode

    try:
        if args.midi_map == "example":
            control_map, problems = read_map_file(example_map_path())
            control_map.source = None  # (learn keeps what it binds in a copy, never in the package)
        elif args.midi_map is not None:
            control_map, problems = read_map_file(Path(args.midi_map))
        elif args.config is not None and "midi_map" in load_toml(args.config):
            control_map, problems = parse_map(load_toml(args.config)["midi_map"], f"{args.config} [midi_map]")
            control_map.source, control_map.table_path = args.config, ("midi_map",)
        else:
            return None
    except MapError as error:
        raise CommandError(str(error)) from None
    problems += control_map.model_problems(lambda mode: check_mode(mode, config), PolicyError)
    for problem in problems:
        log.warning("MIDI map: %s", problem)
    return control_map
