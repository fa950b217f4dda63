"""os._exit(0) from inside the function a check calls."""

import os


def double(x):
    os._exit(0)
