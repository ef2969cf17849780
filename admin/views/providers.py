"""Provider admission, profiles, ratings and warnings in the admin."""
