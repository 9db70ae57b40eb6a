"""``python -m guiapp`` opens the window (``python -m guiapp.cli`` is the CLI)."""

from guiapp.app import main

raise SystemExit(main())
