"""The live daemon: engine (no sockets), scheduler, and the OSC and MIDI edges."""
