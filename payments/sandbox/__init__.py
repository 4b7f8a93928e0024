"""The outside parties that cannot be reached from here, as their own small servers: a bank speaking ISO
20022 and a card processor with a PAN vault and 3-D Secure challenges.

They are counterparts, not mocks: each runs as its own process (started by the devnet), keeps its own
state, and drives every outcome from documented test data, as the providers' own sandboxes do. Nothing
else in the project imports them (an import-linter contract); the project reaches them only through the
clients in `payments.rails`, over the network.
"""
