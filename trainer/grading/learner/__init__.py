"""The learner process: the only place a learner's code runs.

It is forked before the kata's checks are loaded, contains itself (:mod:`.sandbox`: namespaces,
a private root, Landlock, seccomp, limits), then imports the learner's file and answers the
judge's requests (:mod:`.server`) over one socket: attribute access, calls, items, iteration,
operators on learner objects, and their values as plain data (:mod:`trainer.grading.wire`).
It holds no result channel and none of the judge's objects; what it sends is data the judge
decodes without running it.
"""
