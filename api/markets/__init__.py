"""`/v1/markets`: the markets served and their market data (book, trades, candles)."""
