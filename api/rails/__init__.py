"""The rails' faces in the API: each rail's client registered in `app.state.payment_rails` from the settings,
and the route where the rail's counterpart reports back with signed webhooks (`/v1/rails/<rail>/...`)."""
