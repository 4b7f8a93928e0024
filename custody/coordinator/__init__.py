"""The custody coordinator: it drives signer nodes over mutual TLS and assembles their work.

It holds no share and no nonce, and speaks to the nodes only in `custody.protocol`. `client.py` talks to
one node at a time; `signing.py` (`SigningCoordinator`) picks live nodes, runs the two FROST rounds
concurrently, checks every share and the group signature, and names any node whose share is wrong;
`keys.py` (`KeyCoordinator`, with `ceremony.py`, `refresh.py` and `repair.py`) relays the key ceremonies;
`errors.py` says how each of them fails. A compromised coordinator cannot make a node sign anything its
policy refuses: the nodes decode and check every intent themselves.
"""
