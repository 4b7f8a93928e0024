"""Device binding: a subject's devices, each holding its own private key, prove who sends a payment request.

A device registers its public key (P-256 or Ed25519) by signing a single-use challenge the server
issued (`registration`); from then on it signs each request's canonical string (`canonical`) and the server
checks the signature, the timestamp's freshness and that the nonce was never seen (`verifier`). The
fingerprint of a request's attributes (`fingerprint`) is a signal for the risk engine, never an
authenticator: anyone can copy a user agent. The protocol, byte for byte: docs/risk.md, "Devices".
"""
