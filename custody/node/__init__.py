"""The custody signer node: one process per node, holding one FROST share per key, serving mutual TLS only.

`python -m custody.node` starts it (`server.py`); `app.py` builds its FastAPI app; `signing.py` is the
two-round signing logic without HTTP. A node signs only typed intents it decodes and checks against its own
policy, and it records a nonce as used, durably, before any signature share leaves it.
"""
