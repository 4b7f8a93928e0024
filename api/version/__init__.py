"""`/version`: the running build and the chains it talks to."""
