"""``python -m djai_live``: the same as the ``djai-live`` command."""
import sys

from .cli import main

sys.exit(main())
