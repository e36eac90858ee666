"""Argument types and checks shared by the commands: every bad value becomes a one-line usage error at parse
time, naming the option (argparse adds the option's name to the message of an ``ArgumentTypeError``)."""
from __future__ import annotations

import argparse
import json
import math
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar


class CommandError(Exception):
    """An error to show the user as one line, without a traceback."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


Number = TypeVar("Number", int, float)


def _number(text: str, kind: type[Number], what: str) -> Number:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def integer(text: str) -> int:
    return _number(text, int, "an integer")


def positive_int(text: str) -> int:
    value = _number(text, int, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def positive_int_up_to(limit: int) -> Callable[[str], int]:
    """An argparse type: a whole number 1-``limit``."""
    def bounded(text: str) -> int:
        value = positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"must be 1-{limit}, got {text!r}")
        return value
    return bounded


def non_negative_int(text: str) -> int:
    value = _number(text, int, "a whole number >= 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def non_negative(text: str) -> float:
    value = _number(text, float, "a number >= 0")
    if value < 0.0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def positive(text: str) -> float:
    value = _number(text, float, "a number > 0")
    if value <= 0.0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def probability(text: str) -> float:
    value = _number(text, float, "a number in (0, 1]")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def fraction(text: str) -> float:
    """A share in [0, 1): dropout, validation split."""
    value = _number(text, float, "a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def pitch(text: str) -> int:
    value = _number(text, int, "a MIDI pitch 0-127")
    if not 0 <= value <= 127:
        raise argparse.ArgumentTypeError(f"must be a MIDI pitch 0-127, got {text}")
    return value


def semitones(text: str) -> int:
    value = _number(text, int, "semitones 0-12")
    if not 0 <= value <= 12:
        raise argparse.ArgumentTypeError(f"must be 0-12 semitones, got {text}")
    return value


def port(text: str) -> int:
    value = _number(text, int, "a UDP port 1-65535")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a UDP port 1-65535, got {text}")
    return value


def tcp_port(text: str) -> int:
    value = _number(text, int, "a TCP port 1-65535")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port 1-65535, got {text}")
    return value


def host(text: str) -> str:
    """A host name or address that resolves now: a typo fails at start, not on the first reply."""
    try:
        socket.getaddrinfo(text, None, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as error:
        raise argparse.ArgumentTypeError(f"cannot resolve host {text!r} ({getattr(error, 'strerror', error)})") \
            from None
    return text


def on_off(text: str) -> bool:
    if text.lower() in ("on", "true", "1", "yes"):
        return True
    if text.lower() in ("off", "false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")


def existing_dir(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("expected a folder, got an empty name")
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such directory: {text}")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text}")
    return path


def existing_file(text: str) -> Path:
    if not text:
        raise argparse.ArgumentTypeError("expected a file, got an empty name")
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"is a directory, not a file: {text}")
    return path


def output_file(text: str) -> Path:
    """A file we may write: not a folder, and its folder exists (we do not create folders on a typo)."""
    path = Path(text)
    if not text or text.endswith(os.sep) or path.is_dir():
        raise argparse.ArgumentTypeError(f"is a directory, not a file name: {text}")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise argparse.ArgumentTypeError(f"cannot write {text}: its folder {folder} {what}")
    return path


def output_dir(text: str) -> Path:
    """A folder to create or update: not a file, and its parent exists."""
    if not text:
        raise argparse.ArgumentTypeError("expected a folder, got an empty name")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"is a file, not a folder: {text}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot create {text}: its folder {path.parent} does not exist")
    return path


def markov_orders(text: str) -> list[int]:
    try:
        orders = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        orders = []
    if not orders or any(not 1 <= order <= 8 for order in orders):
        raise argparse.ArgumentTypeError(f"expected orders 1-8 separated by commas like 2,3,4, got {text!r}")
    return orders


def loss_weights(text: str) -> dict[str, float]:
    try:
        if text.lstrip().startswith("{"):
            weights = json.loads(text)
        else:
            weights = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                name, value = part.split("=")
                weights[name.strip()] = float(value)
        if not weights or not all(math.isfinite(float(v)) and float(v) >= 0 for v in weights.values()):
            raise ValueError(text)
        return {str(k): float(v) for k, v in weights.items()}
    except (ValueError, TypeError, AttributeError):
        raise argparse.ArgumentTypeError(f"expected NAME=WEIGHT pairs like 'pitch=1,dt=0.5', got {text!r}") from None


def transposition_spread(text: str) -> int:
    from ..config import MAX_TRANSPOSITION_SPREAD

    value = _number(text, int, f"semitones 0-{MAX_TRANSPOSITION_SPREAD}")
    if not 0 <= value <= MAX_TRANSPOSITION_SPREAD:
        raise argparse.ArgumentTypeError(f"must be 0-{MAX_TRANSPOSITION_SPREAD} semitones, got {text}")
    return value


def add_transposition_flag(parser: argparse.ArgumentParser, default: int | None, note: str) -> None:
    parser.add_argument("--average-transpositions", type=transposition_spread, metavar="N", default=default,
                        help="average each prediction over the context transposed by -N..+N semitones (2N+1 "
                             "model steps per note; 0: the model alone); " + note)


def add_model_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="default",
                        help="model file, or the name of a bundled model (default, chorale, ...)")


def add_verbosity_flags(parser: argparse.ArgumentParser, top_level: bool) -> None:
    """-v/-q before or after the command. After it, only given flags count (SUPPRESS), so a command's parser
    does not reset what was given before it."""
    default = 0 if top_level else argparse.SUPPRESS
    parser.add_argument("-v", "--verbose", action="count", default=default,
                        help="-v: log every phrase and setting change; -vv: debug; -vvv: libraries' debug too")
    parser.add_argument("-q", "--quiet", action="store_true", default=False if top_level else argparse.SUPPRESS,
                        help="only warnings and errors")
