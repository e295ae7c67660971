"""`python -m satori_desktop` is the same as the `satori-desktop` command."""

from satori_desktop.cli.main import main

raise SystemExit(main())
