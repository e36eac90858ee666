"""Several instruments live: which input MIDI channel plays which of the model's instruments, and on which
channel each generated instrument goes out.

A model trained with ``num_instruments > 1`` sees the band as one sequence of notes in onset order, each
tagged with its instrument (that is how it was trained), and samples the instrument of every note it
generates. The engine keeps that shared context, and this map routes channels to instruments and back.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class InstrumentMapError(ValueError):
    """A channel or instrument mapping that cannot be used, in words."""


def _channel(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= 16:
        raise InstrumentMapError(f"{where}: a MIDI channel is 1-16, got {value!r}")
    return int(value)


def _instrument(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 0 <= value <= 127:
        raise InstrumentMapError(f"{where}: an instrument index is 0-127, got {value!r}")
    return int(value)


@dataclass
class InstrumentMap:
    inputs: dict[int, int] = field(default_factory=dict)    # MIDI channel -> instrument
    outputs: dict[int, int] = field(default_factory=dict)   # instrument -> MIDI channel

    def instrument_of(self, channel: int, num_instruments: int) -> int:
        """The instrument a channel plays (unmapped channels: instrument 0), within the model's range."""
        return min(self.inputs.get(channel, 0), num_instruments - 1)

    def channel_of(self, instrument: int, default: int) -> int:
        """The channel an instrument plays on: its mapping, else the channel it is heard on, else default."""
        if instrument in self.outputs:
            return self.outputs[instrument]
        heard = sorted(channel for channel, mapped in self.inputs.items() if mapped == instrument)
        return heard[0] if heard else default

    @classmethod
    def parse(cls, inputs: str | None = None, outputs: str | None = None) -> InstrumentMap:
        """From flag values: ``--instrument-map 1:0,2:1,3:1`` (channel:instrument) and
        ``--output-map 0:1,1:5`` (instrument:channel)."""
        mapping = cls()
        for text, target, first, second in ((inputs, mapping.inputs, _channel, _instrument),
                                             (outputs, mapping.outputs, _instrument, _channel)):
            for part in filter(None, (p.strip() for p in (text or "").split(","))):
                try:
                    left, right = part.split(":")
                    key, value = first(float(left), part), second(float(right), part)
                except ValueError as error:
                    if isinstance(error, InstrumentMapError):
                        raise
                    raise InstrumentMapError(f"expected pairs like 1:0,2:1, got {part!r}") from None
                target[key] = value
        return mapping

    @classmethod
    def from_tables(cls, tables: list, where: str = "config") -> InstrumentMap:
        """From a TOML config's ``[[instrument]]`` tables: ``index``, ``in_channels``, ``out_channel``."""
        mapping = cls()
        for number, table in enumerate(tables, 1):
            place = f"{where}: instrument table {number}"
            if not isinstance(table, dict) or "index" not in table:
                raise InstrumentMapError(f"{place} needs an index")
            unknown = set(table) - {"index", "in_channels", "out_channel"}
            if unknown:
                raise InstrumentMapError(f"{place}: unknown keys {sorted(unknown)}; "
                                         "use index, in_channels, out_channel")
            index = _instrument(table["index"], place)
            channels = table.get("in_channels", [])
            if not isinstance(channels, list):
                channels = [channels]
            for channel in channels:
                mapping.inputs[_channel(channel, place)] = index
            if "out_channel" in table:
                mapping.outputs[index] = _channel(table["out_channel"], place)
        return mapping
