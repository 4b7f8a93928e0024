"""KYC tiers: none, light and full, each with per-transaction, daily and monthly limits per currency (from a
config file), and each subject's tier with its history; the rules engine asks `limits_for(tier)`.
"""
