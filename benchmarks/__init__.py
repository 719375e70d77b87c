"""Reproduction scripts: each writes its tables to ``benchmarks/results/``. Run one from the
repository's root as a module, e.g. ``python -m benchmarks.time_to_accuracy --report``."""
