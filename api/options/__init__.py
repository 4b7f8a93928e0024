"""`/v1/options`: the option series (marks and greeks) and the caller's positions with their margin."""
