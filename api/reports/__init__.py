"""A merchant's statement and tax report as CSV, over `payments.reconciliation.reports`."""
