"""The ``katas`` command: :mod:`trainer.cli.app` parses and dispatches, and each command group
has a module of its own that registers its subcommands.

Front-end code only: rules come from :mod:`trainer.learner.practice` and the core packages.
"""
