"""Liquidity and smart order routing (issue 13, point 5): venues that quote a side and a quantity, a router
that splits an order across them by least total cost and says why, and TWAP/VWAP schedules.

Pure: integers and quote minor units only, no chain client, database or HTTP (an import contract holds
it). The API hands the router venues built from live state (the book's depth, the pool's reserves, a
recorded outside venue) and executes the legs it chooses (`api.routing`).
"""

from matching.routing.fills import Fill, NoLiquidity, Venue
from matching.routing.router import Leg, Route, route
from matching.routing.slicing import Slice, twap, vwap

__all__ = ["Fill", "Leg", "NoLiquidity", "Route", "Slice", "Venue", "route", "twap", "vwap"]
