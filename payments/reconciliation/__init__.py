"""Reconciliation: the ledger's rail clearing entries matched against what each rail says happened (the
bank's camt.053 statement, the card processor's settlement file, the chain's `Paid` events), every
difference listed as a break; and the merchants' statements and tax reports for a period.
"""
