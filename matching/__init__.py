"""Off-chain matching: one order book per market, one writer per book, integer ticks and lots.

`matching.engine` is the pure, deterministic core (commands in, events out, no I/O); `matching.journal`
makes it durable (an input journal with group commit, snapshots, replay). Nothing here imports a web
framework or a database: the API and the ledger sit around it, never inside the hot path.
"""
