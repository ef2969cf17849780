"""Official-account messages and events: the callback, its router and its conversations."""
