"""Decoded events of our contracts in a transaction, cached once final."""
