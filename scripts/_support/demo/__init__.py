"""The demo's flows (`ape run demo`, `make demo`), one module per part of the product, each a function
`flow(stack, progress, summary)` that talks to the real stack (anvil over JSON-RPC, the API over HTTP) and
raises `DemoFailed` when a step does not produce what it should."""
