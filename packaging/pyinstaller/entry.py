"""The frozen app's entry point: the same `main()` as the `satori-desktop` command of a source install."""

import multiprocessing
import os
import sys

from satori_desktop.cli.main import main

if __name__ == "__main__":
    # A frozen app starts its worker processes by running itself again; this makes such a child run the
    # worker instead of a second copy of the app.
    multiprocessing.freeze_support()
    # Windows' windowed executable has no console: sys.stdout and sys.stderr are None there, and what the
    # app prints for a terminal (the self-test's lines, a sentence on stderr) must go nowhere, not raise.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives with the app)
    sys.exit(main())
