"""`/health`: whether this process can serve (database and chain nodes reachable)."""
