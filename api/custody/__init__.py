"""Threshold custody over HTTP: group keys, sign requests, operator approvals, the audit log.

The API hosts the coordinator (`runtime`) and never authorises a signature itself: the signer nodes decide.
"""
