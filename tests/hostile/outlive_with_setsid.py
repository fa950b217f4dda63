"""Double-forks a daemon into a session of its own, which is meant to outlive the grading."""

import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "__MARKER__"])
    os._exit(0)
time.sleep(0.2)


def double(x):
    return x
