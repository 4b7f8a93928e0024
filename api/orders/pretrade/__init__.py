"""Risk before entry on `/v1/orders` (issue 13, point 6): the gate every order passes before it reaches a
book or reserves anything (`gate`), its refusals as problems (`problems`), the per-key order bucket
(`ratelimit`), and the operators' kill switches (`killswitches`). The limits and stores are
`risk.pretrade`'s; this package reads a market's figures for them."""
