"""The judge: the process that decides a verdict, and never runs a line of learner code.

``run`` is one grading (``python -m trainer.grading.judge.run``, or armed ahead of its request by
the warm ``worker``): it forks the learner process (:mod:`trainer.grading.learner`) before any
check is loaded, then runs the kata's checks under pytest with the trainer's ``plugin``. The
``learner`` fixture is a :class:`~trainer.grading.judge.link.Proxy` on the learner's module, and
``remote`` builds objects in the learner process. These modules import torch and pytest;
``tests/test_architecture.py`` proves the trainer's own process never imports them.
"""
