"""Start the window: ``guiapp [MODEL] [--session FILE] [--device cpu|cuda:0]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from guiapp import __version__


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="guiapp", description="Find and use interpretable "
                                 "directions in the latent space of a pretrained GAN.")
    ap.add_argument("model", nargs="?", default=None,
                    help="built-in model (builtin:NAME) or a generator file; default: the "
                         "built-in face model")
    ap.add_argument("--session", help="open this session file")
    ap.add_argument("--device", help="cpu or cuda:N (default: the last one used)")
    ap.add_argument("--no-restore", action="store_true",
                    help="do not offer to restore the last session")
    ap.add_argument("--version", action="version", version=f"guiapp {__version__}")
    ap.add_argument("--benchmark-startup", action="store_true", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def checked_device(name: str) -> str:
    """``--device`` as a device this machine has, or ValueError with the CLI's one-line
    reason. Only this imports torch before the window opens, and only with ``--device``."""
    from guiapp.core.devices import resolve_device

    return str(resolve_device(name))


def main(argv: list[str] | None = None) -> int:
    """Open the window and run until it closes; 2 (one line on stderr, no window) for a
    ``--device`` this machine lacks: asked for on the command line, it is refused like the
    CLI refuses it, rather than quietly running somewhere else."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    device = None
    if args.device:
        try:
            device = checked_device(args.device)
        except ValueError as exc:
            print(f"guiapp: error: {exc}", file=sys.stderr)
            return 2
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from guiapp.core.models.catalog import DEFAULT_MODEL
    from guiapp.core.package_data import APP_ID
    from guiapp.ui.app_icon import app_icon
    from guiapp.ui.main_window import MainWindow
    from guiapp.ui.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("guiapp")
    app.setOrganizationName("guiapp")
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)  # the launcher's .desktop id (packaging/linux)
    window = MainWindow(settings=AppSettings(os.environ.get("GUIAPP_CONFIG_DIR") or None),
                        offer_restore=not (args.no_restore or args.session))
    if args.benchmark_startup:  # print seconds from $GUIAPP_T0 to the first image, then quit
        t0 = float(os.environ.get("GUIAPP_T0", time.time()))

        def first_image(_request_id: int) -> None:
            print(f"{time.time() - t0:.3f}", flush=True)
            window.close()
            app.quit()

        window.image_view.image_shown.connect(first_image)
    if device is not None:
        window.device = device
        window.settings.set_device(device)
    window.show()
    if args.session:
        window.files.open_session_file(args.session)
    elif args.model and opens_beside_a_model(args.model):
        # a direction set, session or photo given as the file: open it over the built-in
        # model, as dropping it on the window would (it is not a generator to load)
        window.model_ready.connect(lambda: window.files.open_any(args.model),
                                   Qt.ConnectionType.SingleShotConnection)
        window.open_model(DEFAULT_MODEL)
    else:
        window.open_model(args.model or DEFAULT_MODEL)
    return app.exec()


def opens_beside_a_model(path: str) -> bool:
    """A file the window opens over a model rather than as one: a session (.json), a
    direction set or a photo."""
    from guiapp.core.io import is_direction_file
    from guiapp.ui.photo_actions import is_photo_path

    if path.startswith("builtin:") or not os.path.isfile(path):
        return False
    return path.lower().endswith(".json") or is_direction_file(path) or is_photo_path(path)


if __name__ == "__main__":
    raise SystemExit(main())
