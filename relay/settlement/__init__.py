"""The settlement anchorer: batches of settled trades signed by the custody group and anchored on-chain."""
