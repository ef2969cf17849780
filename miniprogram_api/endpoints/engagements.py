"""Engagements and ratings in the mini-program."""
