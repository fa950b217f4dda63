"""Katas as data: the ``kata.yaml`` model, loading with file:line problems, the catalog of
packs, the pack cache, ``katas new``'s scaffold and ``katas validate``.

Nothing here grades or records: a change to what a kata *is* goes here.
"""
