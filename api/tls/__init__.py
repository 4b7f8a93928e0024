"""HTTPS for the API itself: its server certificate and SSL context (`server`), and the verified client
certificate handed to the app in the ASGI scope (`scope`)."""
