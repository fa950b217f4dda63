"""Makes the learner-side server stop answering: it receives the judge's request and then waits forever."""

import sys
import time

server = sys.modules.get("trainer.grading.learner.server")
if server is not None:

    def silent(self):
        while True:
            time.sleep(3600)

    server.Server.serve = silent


def double(x):
    time.sleep(3600)
