"""djai_live: a real-time neural co-improviser."""
__version__ = "0.1.0"
