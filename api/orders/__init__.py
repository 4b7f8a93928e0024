"""`/v1/orders`: spot orders on the matching engine, per merchant and mode (a sandbox key paper-trades)."""
