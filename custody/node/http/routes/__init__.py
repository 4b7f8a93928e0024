"""A signer node's HTTP routes, one module per concern: health, keys (DKG, refresh, repair), audit, and the
signing rounds (`sign.SigningRoutes`, which wraps the app)."""
