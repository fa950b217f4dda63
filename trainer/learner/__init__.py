"""The learner's side: the workspace, the practice rules every front end shares, the progress
store, spaced review, exports and the progress report.

:mod:`trainer.learner.practice` is the one implementation of grade -> record -> outcome, of
which katas are solved, which this machine can grade and which comes next.
"""
