"""djai_live: a real-time neural co-improviser.

One pipeline: MIDI files -> note events -> encoded sequences -> model -> sampled notes -> notes out.

Public modules (imported on demand, so the CLI and the daemon never load TensorFlow unless they train):

- ``djai_live.midi_files``: ``scan_midi_files``, ``read_midi_notes`` (one file into note events)
- ``djai_live.corpus``: ``load_corpus`` (many files, prepared once, bad files skipped)
- ``djai_live.encoding``: ``Codec``, the one encoder/decoder of notes used everywhere
- ``djai_live.config``: ``DjaiConfig``, stored inside every model file
- ``djai_live.model``: ``build_model``, ``save_model``, ``load_model`` (Keras)
- ``djai_live.runtime``: ``make_runtime``, the NumPy step runtime of the live path
- ``djai_live.training``: ``train``
- ``djai_live.generation``: ``Generator``
- ``djai_live.evaluation``: ``evaluate_model``, ``fit_markov``
- ``djai_live.live``: the daemon (engine, scheduler, OSC and MIDI edges)
- ``djai_live.djai``: the original djalgo ``djai`` API
"""
__version__ = "0.1.0"
__all__ = ["__version__"]
