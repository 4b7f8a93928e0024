"""The custody signer node: one process per node, holding one FROST share per key, serving mutual TLS only.

`python -m custody.node` starts it (`http.server`); `http/` is its HTTP face, `signing/` the two signing
rounds and `ceremonies/` the key ceremonies (both without HTTP), `records/` the shares and identity in its
key store; `runtime` opens all of it and `settings` reads its configuration. What crosses the wire is
`custody.protocol`. A node signs only typed intents it decodes and checks against its own policy, and it
records a nonce as used, durably, before any signature share leaves it.
"""
