"""`/v1/ledger/...`: the double-entry ledger (`ledger`) over HTTP."""
