"""Activities in the mini-program: schedule, sign-up, tickets."""
