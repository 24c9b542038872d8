"""``python -m pai``: see :mod:`pai.cli`."""

from pai.cli import main

raise SystemExit(main())
