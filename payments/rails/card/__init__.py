"""The card rail: the card processor's client (`client`), the `Rail` the payment intents use (`rail`), the
processor's webhooks turned into the intents' steps (`events`) and its settlement file as a
`StatementSource` (`statement`)."""
