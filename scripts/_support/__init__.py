"""What the Ape scripts, the benchmarks and the tests share to run local services: process supervision,
anvil, groups of signer nodes. Not scripts themselves: `ape run` lists no file or directory of `scripts/`
whose name starts with `_`.
"""
