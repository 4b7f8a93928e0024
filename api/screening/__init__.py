"""`/v1/screening`: sanctions screening on demand, the reviewers' queue and decisions, and the list."""
