"""Returns objects whose pickling would run code (__reduce__), alone and inside a list."""

import os


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > __CANARY__",))

    def __getstate__(self):
        os.system("echo pwned > __CANARY__")
        return {}


def double(x):
    return [Payload(), x * 2, Payload()]
