"""Raises KeyboardInterrupt while being imported, as if the user pressed Ctrl-C."""

raise KeyboardInterrupt
