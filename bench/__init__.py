"""Pitstop's benchmarks: each compares Pitstop with a baseline measured in the same run.

Run them with `python -m bench` (all) or `python -m bench NAME`; see bench/README.md.
"""
