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


SENDING = "Ports that send MIDI (djai-live can listen to them: --midi-in NAME):"
RECEIVING = "Ports that receive MIDI (djai-live can play into them: --midi-out NAME):"


def run(args: argparse.Namespace) -> int:
    from ..live.midi import CLIENT_NAME, list_ports

    sending, receiving = list_ports(args.midi_api)

    def listed(names: list[str]) -> str:
        lines = "".join(f"\n  {name}" + ("   (a running djai-live's own)" if name.startswith(f"{CLIENT_NAME}:")
                                        else "") for name in names)
        return lines or " none"

    print(SENDING + listed(sending))
    print(RECEIVING + listed(receiving))
    return 0
