"""Sleeps at import time, longer than any timeout."""

import time

time.sleep(10_000)
