"""`/v1/privacy`: a customer's export and erasure, the operators' analytics report, and the retention job
(its command line and its loop). The domain is `risk.privacy`; docs/risk.md, "Privacy"."""
