"""Settlement anchoring (issue 13, point 7): settled trades as Merkle leaves, batched and anchored on-chain.

`leaf` is the trade leaf format (pure); `schema` the batch tables; `trades` records settled trades in the
transaction that posts them; `batches` cuts batches and moves each through its anchoring states.
"""
