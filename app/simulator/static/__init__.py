"""Static files of the simulator (the follower page); a package so it installs as package data."""
