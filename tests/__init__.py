"""The project's own tests (a package, so ``from tests.kata_factory import make_kata`` works)."""
