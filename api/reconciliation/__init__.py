"""Reconciliation runs over `payments.reconciliation`: a day's latest run and its breaks, and new runs."""
