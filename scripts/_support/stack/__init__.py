"""The devnet stack `make devnet` and `make demo` run: both anvils, the signer nodes, the sandboxes, the API
and the workers, started in order and stopped in reverse (`devnet.DevnetStack`), each part's start-up and
settings in its own module."""
