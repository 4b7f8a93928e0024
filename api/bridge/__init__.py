"""`/v1/bridge`: the bridge relay's messages, batches and proofs (issue 14, point 3)."""
