"""The public service directory in the mini-program."""
