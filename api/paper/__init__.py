"""`/v1/markets/{id}/sandbox-funds`: test money for paper trading."""
