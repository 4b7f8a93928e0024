"""Benchmarks: scripts that measure the contracts and print a table; tests assert behaviour, never speed."""
