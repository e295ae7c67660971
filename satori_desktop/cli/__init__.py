"""The command line: the same core, engine and models as the GUI, scriptable with --json."""
