"""Public service directory: resources, one-stop entrances, parks and utility guides."""
