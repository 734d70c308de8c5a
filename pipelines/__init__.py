"""Wiring: the ``backorder`` command line and the steps that chain packages into jobs.

Pipelines read settings, do the I/O and call the pure functions of ``contracts``,
``simulation``, ``features``, ``training``, ``decisions``, ``serving`` and ``monitoring``.
Nothing imports from this package.
"""
