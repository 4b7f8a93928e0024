"""The gas benchmark's cases: each module measures one contract family and exposes `measure(env)`.

`benchmarks/gas.py` imports every module of this package except `common`, calls its `measure(env)` with one
shared `common.GasEnv` (one py-evm chain for the whole run) and prints what it returns: a mapping of case key
to `common.Measurement` (or to a plain int, the gas with no target). A module may instead expose `CASES`, a
mapping of case key to a callable taking the env and returning one measurement.
"""
