"""Template- and subscribe-message definitions, one per notification the platform sends."""
