"""``python -m trainer`` is the same as the ``katas`` command."""

from trainer.entry import main

raise SystemExit(main())
