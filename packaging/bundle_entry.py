"""Entry point of the desktop bundle: ``guiapp`` opens the window, ``guiapp-cli`` (a link
to the same executable, made by build_bundle.sh) runs the CLI, so both share one folder."""

from __future__ import annotations

import os
import sys


def main() -> int:
    name = os.path.basename(sys.argv[0])
    if name.startswith("guiapp-cli"):
        from guiapp.cli import main as cli_main

        return cli_main()
    from guiapp.app import main as app_main

    return app_main()


if __name__ == "__main__":
    raise SystemExit(main())
