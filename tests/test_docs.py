"""The reference docs follow the code: every flag of every command is in docs/cli.md, every live parameter
(with its kind, range and default), mode and OSC address in docs/osc.md. The names are read from the code
when the tests run, so a flag or parameter added without its line in the docs fails here."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def sections(text: str, level: str) -> dict[str, str]:
    """The text under each heading of ``level`` ("##", "###"), by heading; up to the next heading of that
    level or above."""
    found: dict[str, str] = {}
    heading, lines = None, []
    for line in text.splitlines():
        match = re.match(r"(#+) (.*)", line)
        if match and len(match.group(1)) <= len(level):
            if heading is not None:
                found[heading] = "\n".join(lines)
            heading, lines = (match.group(2), []) if len(match.group(1)) == len(level) else (None, [])
            continue
        lines.append(line)
    if heading is not None:
        found[heading] = "\n".join(lines)
    return found


def mentions_option(text: str, option: str) -> bool:
    """``--units`` as a whole flag: not inside ``--units-x`` or ``--max-units``."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings if option.startswith("--")}


def command_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser ``djai-live`` runs with, and each command's."""
    from djai_live.cli import build_parser

    parser = build_parser()
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return parser, dict(commands.choices)


def test_every_command_has_its_section_in_cli_md():
    _, commands = command_parsers()
    headings = sections((DOCS / "cli.md").read_text(), "###")
    for name in commands:
        assert any(f"`{name}`" in heading for heading in headings), f"docs/cli.md has no ### section for {name}"


@pytest.mark.parametrize("command", sorted(command_parsers()[1]))
def test_every_flag_of_a_command_is_in_its_section_of_cli_md(command):
    parser, commands = command_parsers()
    text = (DOCS / "cli.md").read_text()
    [section] = [body for heading, body in sections(text, "###").items() if f"`{command}`" in heading]
    # The flags every command shares (--help, -v, -q) and the top level's (--version) are documented once.
    shared = set.intersection(*(long_options(each) for each in commands.values())) | long_options(parser)
    for option in sorted(long_options(commands[command]) - shared):
        assert mentions_option(section, option), f"docs/cli.md: `{command}` section lacks {option}"
    for option in sorted(shared):
        assert mentions_option(text, option), f"docs/cli.md lacks {option}"


def osc_doc() -> str:
    return (DOCS / "osc.md").read_text()


def test_every_inbound_and_outbound_address_is_in_its_table_of_osc_md():
    from djai_live.live.protocol import INBOUND, OUTBOUND

    by_heading = sections(osc_doc(), "###")
    [inbound] = [body for heading, body in by_heading.items() if heading.startswith("In:")]
    [outbound] = [body for heading, body in by_heading.items() if heading.startswith("Out:")]
    for table, addresses, direction in ((inbound, INBOUND, "In"), (outbound, OUTBOUND, "Out")):
        for address in addresses:
            assert f"| `{address}` |" in table, f"docs/osc.md: the {direction} table lacks {address}"


def test_every_mode_is_described_in_osc_md():
    from djai_live.live.settings import LiveSettings

    modes, _, _ = LiveSettings.RANGES["mode"]
    text = osc_doc()
    for mode in modes:
        assert f"- `{mode}`" in text, f"docs/osc.md: the modes list lacks {mode}"


def table_cells(row: str) -> list[str]:
    """The cells of a Markdown table row; ``\\|`` inside a cell is text, not a border."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def parameter_rows() -> dict[str, list[str]]:
    """The cells of each row of osc.md's live parameter table, by every `name` in its first cell."""
    [body] = [body for heading, body in sections(osc_doc(), "##").items() if heading == "Live parameters"]
    rows: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line.startswith("| `"):
            cells = table_cells(line)
            for name in re.findall(r"`(\w+)`", cells[0]):
                rows[name] = cells
    return rows


def numbers_in(text: str) -> list[float]:
    return [float(number) for number in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", text)]


def test_every_live_parameter_is_in_osc_md_with_the_kind_range_and_default_of_the_code():
    from djai_live.live.settings import LiveSettings
    from djai_live.scales import Scale

    rows, defaults = parameter_rows(), LiveSettings()
    for name, (kind, low, high) in LiveSettings.RANGES.items():
        assert name in rows, f"docs/osc.md: the live parameter table lacks {name}"
        _, kind_cell, range_cell, default_cell, _ = rows[name]
        default = getattr(defaults, name)
        if isinstance(kind, tuple):
            assert kind_cell == "choice", name
            assert set(re.split(r",\s*", range_cell)) == set(kind), f"docs/osc.md: {name}'s choices"
            assert default_cell.split()[0] == default, name
        elif kind is bool:
            assert (kind_cell, range_cell) == ("bool", "on/off"), name
            assert default_cell.split()[0] == ("on" if default else "off"), name
        elif kind is Scale:
            assert kind_cell == "scale", name
            assert default.describe().split()[-1] in default_cell, name  # "C chromatic": chromatic
        else:
            assert kind_cell == kind.__name__, name
            assert range_cell == f"{low:g}-{high:g}", f"docs/osc.md: {name}'s range is {low:g}-{high:g}"
            assert float(default) in numbers_in(default_cell), f"docs/osc.md: {name}'s default is {default}"


def test_train_defaults_in_cli_md_are_the_code_s():
    """The from-scratch and --from columns of the train table say what DjaiConfig, FROM_SCRATCH and FINE_TUNE
    hold (a setting without a default value, None, is described in words instead)."""
    from djai_live.cli.train import CONFIG_FLAGS, RUN_FLAGS
    from djai_live.config import FROM_SCRATCH, DjaiConfig
    from djai_live.finetune import FINE_TUNE

    [section] = [body for heading, body in sections((DOCS / "cli.md").read_text(), "###").items()
                 if heading == "`train`"]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `--"):
            cells = table_cells(line)
            rows[cells[0].strip("`").split()[0].lstrip("-").replace("-", "_")] = cells
    settings = {dest: (getattr(DjaiConfig(), field), FINE_TUNE.config_changes.get(field))
                for dest, field in CONFIG_FLAGS.items()}
    settings.update({name: (getattr(FROM_SCRATCH, name), getattr(FINE_TUNE.run, name)) for name in RUN_FLAGS})
    for dest, (scratch, fine_tune) in settings.items():
        _, scratch_cell, fine_tune_cell, _ = rows[dest]
        for value, cell, column in ((scratch, scratch_cell, "from scratch"), (fine_tune, fine_tune_cell, "--from")):
            if value is None:
                continue
            if isinstance(value, tuple):
                value = ",".join(value) or "none"
            same = float(cell) == float(value) if isinstance(value, (int, float)) else cell == value
            assert same, f"docs/cli.md: train --{dest.replace('_', '-')} {column} says {cell}, the code {value}"
        if fine_tune is None and dest in CONFIG_FLAGS:
            assert fine_tune_cell == "the base's", dest
