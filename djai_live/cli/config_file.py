"""``serve --config LIVE.toml``: a [serve] table of flags and [[instrument]] tables."""
from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from .options import CommandError


def expand_config_file(argv: list[str], parser: argparse.ArgumentParser, config: Path | None
                       ) -> tuple[list[str], list | None]:
    """The file's [serve] table as flags placed before the command line's own (so those win), and its
    [[instrument]] tables. ``config`` is the file argparse read from the command line in whatever
    spelling it accepts (``--config FILE``, ``--config=FILE``, an abbreviation); None: no file.

    Raises:
        CommandError: the file is missing, not TOML, or names an unknown table or flag.
    """
    if config is None:
        return argv, None
    path = Path(config)
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise CommandError(f"{path}: cannot read the config file ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: not valid TOML ({error})") from None
    unknown_tables = set(data) - {"serve", "instrument", "midi_map"}  # ([midi_map]: see serve.read_midi_map)
    if unknown_tables:
        raise CommandError(f"{path}: unknown tables {sorted(unknown_tables)}; use [serve], [[instrument]] and "
                           "[midi_map]")
    # argparse has no public way to a subparser; its private attributes are typed loosely.
    serve_parser = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr,index]
    known = {option.lstrip("-").replace("-", "_"): action for action in serve_parser._actions
             for option in action.option_strings if option.startswith("--")}
    flags: list[str] = []
    for key, value in data.get("serve", {}).items():
        action = known.get(key)
        if action is None or key in ("config", "help"):
            close = difflib.get_close_matches(key, [name for name in known if name not in ("config", "help")], 1)
            hint = f" (did you mean {close[0]!r}?)" if close else "; see `djai-live serve --help`"
            raise CommandError(f"{path}: [serve] has no flag {key!r}{hint}")
        flag = action.option_strings[-1]
        if action.nargs == 0 or action.nargs == "?" and isinstance(value, bool):
            if value is True:  # (a flag with an optional value, `ui = true`: the flag alone)
                flags.append(flag)
        elif isinstance(value, list):
            flags += [flag, *map(str, value)]
        elif isinstance(value, bool):
            flags += [flag, "on" if value else "off"]
        else:
            flags += [flag, str(value)]
    command = argv.index("serve")
    return argv[:command + 1] + flags + argv[command + 1:], data.get("instrument")
