"""The ``djai-live`` command line: one module per command (prepare, train, generate, continue (continuation),
harmonize, add_staves, evaluate, serve, ports, patches).

Each command module has ``add_parser(commands, parents)``, which registers its options and sets ``run``.
Every bad value is a one-line usage error at parse time (exit 2); every failure while running is a one-line
``djai-live COMMAND: error: ...`` (exit 1); neither shows a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import add_staves, continuation, evaluate, generate, harmonize, patches, ports, prepare, serve, train
from .config_file import expand_config_file
from .logs import configure_logging
from .options import CommandError, add_verbosity_flags

__all__ = ["build_parser", "main", "CommandError"]
log = logging.getLogger("djai_live")
COMMAND_MODULES = (prepare, train, generate, continuation, harmonize, add_staves, evaluate, serve, ports, patches)


class ArgumentParser(argparse.ArgumentParser):
    """A bad flag or value is the short usage line and one error line, not the whole usage block of a
    command with forty flags."""

    def error(self, message: str):
        self.exit(2, f"usage: {self.prog} [flags] ... (`{self.prog} --help` lists them)\n"
                     f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = ArgumentParser(prog="djai-live", description="A real-time neural co-improviser.")
    parser.add_argument("--version", action="version", version=f"djai-live {__version__}")
    add_verbosity_flags(parser, top_level=True)
    verbosity = argparse.ArgumentParser(add_help=False)
    add_verbosity_flags(verbosity, top_level=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=ArgumentParser)
    for module in COMMAND_MODULES:
        module.add_parser(commands, [verbosity])
    return parser


def _expected_errors() -> tuple[type[BaseException], ...]:
    """The errors that are the user's to fix (bad files, ports, models), shown as one line."""
    from ..corpus import MidiReadError, NoUsableDataError
    from ..generation import PromptTooShortError
    from ..live.clock import ClockError
    from ..live.midi import MidiPortError
    from ..midi_out import FluidSynthError, FluidSynthMissingError
    from ..model_files import ModelFileError
    from ..musescore_staves import ScoreFileError
    from ..notes_json import NotesJsonError

    return (CommandError, MidiReadError, NoUsableDataError, PromptTooShortError, FluidSynthMissingError,
            FluidSynthError, MidiPortError, ClockError, ModelFileError, NotesJsonError, ScoreFileError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    instrument_tables = None
    if getattr(args, "config", None) is not None:
        try:
            argv, instrument_tables = expand_config_file(argv, parser, args.config)
        except CommandError as error:
            print(f"djai-live serve: error: {error}", file=sys.stderr)
            return 1
        args = parser.parse_args(argv)
    args.instrument_tables = instrument_tables
    configure_logging(args.verbose, args.quiet)
    expected = _expected_errors()
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("djai-live: interrupted", file=sys.stderr)
        return 130
    except expected as error:
        print(f"djai-live {args.command}: error: {error}", file=sys.stderr)
        return 1
