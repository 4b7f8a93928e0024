"""Option series on the matching engine and the ledger: books, premiums, margin held, expiry settlement."""
