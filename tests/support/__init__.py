"""What the tests and the benchmarks both need to play the host's part: a MIDI clock from a separate
process, and an OSC host that times what it receives by the kernel's arrival stamps."""
