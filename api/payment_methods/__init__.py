"""`/v1/payment-methods`: cards tokenized at the card processor (`payments.rails.card.payment_methods`)."""
