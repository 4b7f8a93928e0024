"""`/v1/settlement`: settlement batches anchored on-chain, and each trade's inclusion proof."""
