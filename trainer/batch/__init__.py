"""Batch grading for instructors: a folder of submission archives in, a gradebook out.

``katas grade`` re-runs every kata's hidden checks on every submitted file through the same
hardened grader learners use (the manifest's own verdicts are never trusted), in parallel over
warm workers, and writes ``gradebook.csv``, ``results.json`` and one markdown feedback file per
learner. One bad archive, timeout or crash is that learner's result, never the batch's end; an
append-only journal lets a killed run resume; ``--shard K/N`` splits a class across machines
and :mod:`trainer.batch.merge` joins the shards. ``katas report`` summarises a graded batch.

Modules, one concern each: ``model`` (the typed results and scoring), ``plan`` (archives to
learners and jobs, sharding), ``journal`` (resume), ``run`` (parallel grading), ``gradebook``,
``feedback``, ``publish`` (writing the outputs), ``merge``, ``report`` and ``svg`` (plots).
Nothing here imports torch: learner code only ever runs in grading children.
"""
