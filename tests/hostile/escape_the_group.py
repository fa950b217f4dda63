"""Starts a process in a new session (outside the process group), then loops."""

import subprocess

subprocess.Popen(["sleep", "__MARKER__"], start_new_session=True)
while True:
    pass
