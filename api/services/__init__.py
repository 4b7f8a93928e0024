"""The API's services: what routes call; they talk to the database and the chains and raise `ApiError`s."""
