"""The risk engine's HTTP side: its runtime on the app (`runtime`), and `/v1/risk/decisions` for operators."""
