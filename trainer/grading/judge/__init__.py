"""What runs inside a grading child process, and nowhere else.

``run`` is one grading (``python -m trainer.grading.judge.run``): contain the process
(``sandbox``), import the learner's file and run the kata's checks under pytest with the
trainer's ``plugin``. ``worker`` is the warm worker (``python -m trainer.grading.judge.worker``):
torch and pytest imported once, a forked ``run`` per grading. These modules import torch and
pytest; ``tests/test_architecture.py`` proves the trainer's own process never imports them.
"""
