"""TPWallet's HTTP API (FastAPI): routers -> services -> database and chains; see `api.app.create_app`."""
