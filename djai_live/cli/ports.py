"""``djai-live ports``: list the MIDI ports a backend sees."""
from __future__ import annotations

import argparse

from .options import HelpFormatter
from .serve import MIDI_APIS


def add_parser(commands, parents: list[argparse.ArgumentParser]) -> None:
    ports = commands.add_parser("ports", parents=parents, formatter_class=HelpFormatter,
                                help="list MIDI input and output ports")
    ports.add_argument("--midi-api", choices=MIDI_APIS, default=None)
    ports.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..live.midi import list_ports

    inputs, outputs = list_ports(args.midi_api)
    print("MIDI inputs:" + ("".join(f"\n  {name}" for name in inputs) or " none"))
    print("MIDI outputs:" + ("".join(f"\n  {name}" for name in outputs) or " none"))
    return 0
