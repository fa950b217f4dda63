"""``python -m trainer`` is the same as the ``katas`` command."""

from trainer.cli import main

raise SystemExit(main())
