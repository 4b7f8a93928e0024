"""The bridge relay (issue 14): watchers on both chains, batches attested by the custody group, claims
delivered once. See docs/bridge.md, "Relay"."""
