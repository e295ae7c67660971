"""The frozen app's entry point: the same `main()` as the `satori-desktop` command of a source install."""

import multiprocessing
import sys

from satori_desktop.cli.main import main

if __name__ == "__main__":
    # A frozen app starts its worker processes by running itself again; this makes such a child run the
    # worker instead of a second copy of the app.
    multiprocessing.freeze_support()
    sys.exit(main())
