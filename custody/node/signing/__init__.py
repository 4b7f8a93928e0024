"""A node's two signing rounds, without HTTP: the service (`service`), how it reads a request (`requests`),
the sealed nonce records (`nonces`), the session book (`sessions`) and the signed state counter
(`state_guard`)."""
