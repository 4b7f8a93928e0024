"""Vesting grants, read from the network's VestingEscrow."""
