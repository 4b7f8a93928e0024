"""`/v1/monitoring`: the monitoring's alerts for operators, and the round that raises them (docs/risk.md)."""
