"""`/v1/merchants/...` and `/v1/merchant`: merchant onboarding, modes, API keys and client certificates."""
