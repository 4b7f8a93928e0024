"""The perpetual's API (issue 13, points 3 and 10): positions, margin, margin transfers, leverage and
margin mode, funding history and the liquidation feed; orders go through `/v1/orders` (market TPW-PERP)."""
