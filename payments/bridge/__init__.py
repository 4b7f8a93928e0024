"""The bridge relay's records in the API database (migration 0035): the messages both bridges sent, the
batches they travel in, the watchers' cursors and the delivery leases. The relay (`relay.bridge`) writes them,
the API reads them; both import this package because neither may import the other."""
