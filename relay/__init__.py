"""Workers that carry signed or due actions to the chains: the subscription keeper and the bridge relay.

Each reads the chains through `chain`, keeps its position in a persisted `relay.cursor.ChainCursor`, and pays
gas from a relayer account that holds no authority.
"""
