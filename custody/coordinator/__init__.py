"""The custody coordinator: it drives signer nodes over mutual TLS and assembles their work.

It holds no share and no nonce. `client.py` talks to one node at a time; `signing.py` (`Coordinator`)
picks live nodes, runs the two FROST rounds concurrently, checks every share and the group signature, and
names any node whose share is wrong; `dkg.py` (with `ceremony.py` and `repair.py`) relays the key
ceremonies. A compromised coordinator cannot make a node sign anything its policy refuses: the nodes decode
and check every intent themselves.
"""
