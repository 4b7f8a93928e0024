"""`/v1/kyc`: a customer's KYC checks and tier, the provider's result webhook, operators' manual reviews."""
