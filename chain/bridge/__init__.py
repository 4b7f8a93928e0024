"""The bridge's messages, batches and proofs in Python, exactly as `contracts/BridgeL1.vy` and
`contracts/BridgeL2.vy` (through `contracts/modules/bridge_inbox.vy`) compute them.

A message (`message.Message`) is what one bridge emits (`Deposited` on L1, `Withdrawn` on L2) and the other
pays out; its leaf commits to the route (both chains, both bridges) and its fields. Messages travel in batches
(`batch.Batch`): a Merkle tree of their leaves (`chain.merkle`, leaves and internal nodes hashed apart) whose
root the custody group signs as the `chain.intents.BridgeBatch` intent, hash-chained by `prevRoot`. A claim
on the destination bridge gives the message, the batch's seq and the leaf's proof.
"""
