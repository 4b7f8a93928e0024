"""FX quotes and conversions over `payments.fx`."""
