"""What the Ape scripts, the benchmarks and the tests share to run local services: process supervision and
anvil. Not scripts themselves: `ape run` lists no file or directory of `scripts/` whose name starts with `_`.
"""
