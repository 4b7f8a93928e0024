"""A merchant's reports over a period, read from the ledger alone: its statement (every movement of its
balance with the running balance) and its tax report (per month and currency), both exported as CSV."""
