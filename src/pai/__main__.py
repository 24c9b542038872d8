"""``python -m pai``: see :mod:`pai.cli`."""

from .cli import main

raise SystemExit(main())
