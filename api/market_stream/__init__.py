"""`/v1/markets/{id}/stream`: the WebSocket of a market's book changes and trades."""
