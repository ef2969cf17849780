"""Official-account chat for activities: the schedule menu, sign-up and check-in scans."""
