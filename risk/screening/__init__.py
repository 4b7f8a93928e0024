"""Sanctions screening: names (fuzzy, held for a reviewer) and exact identifiers (chain addresses, IBANs)
against lists in the OFAC SDN CSV format, each result stored with the list version it was screened against.

`sdn` reads the list files, `index` answers the queries, `screenings` records results and reviewer
decisions and re-screens every known subject when the list changes.
"""
