"""Grading: the :class:`~trainer.grading.grader.Grader` and what it returns.

The parent side (the trainer's process) lives in this package's modules: ``grader`` (cold and
warm gradings), ``worker_client`` (the trainer's end of a warm worker), ``supervise`` (time,
output and process-group limits on a child), ``evidence`` (records -> :class:`Verdict`),
``protocol``, ``verdict``, ``limits`` and ``devices``. None of them imports torch or pytest.

The judge (:mod:`trainer.grading.judge`) and the learner process (:mod:`trainer.grading.learner`)
run only in the processes of a grading.
"""
