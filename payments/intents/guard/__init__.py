"""The risk engine in front of a payment intent's confirmation: what it is told (`facts`), how its answer
holds the confirmation (`hold`), and how a hold ends (`release`: a factor verified, a review decided).

`payments` may import `risk`, never the reverse: a case's decision reaches the intent through the handler
`release.review_handler` that the application registers with `risk.cases.Resolutions`.
"""
