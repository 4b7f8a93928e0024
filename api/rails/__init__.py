"""The rails' faces in the API: each registers its client in `app.state.payment_rails` from the settings
and takes its counterpart's signed notifications (`/v1/rails/<rail>/notifications`)."""
