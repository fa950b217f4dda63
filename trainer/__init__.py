"""torch-katas: a terminal kata trainer for PyTorch.

This package's core never imports ``textual`` (only ``trainer.tui`` does) and never imports
``torch`` at import time: learner code and checks run in child processes only.
"""

__version__ = "0.1.0"
