"""`/v1/auth/...`: Sign-In with Ethereum, passkeys and sessions over `risk.identity`."""
