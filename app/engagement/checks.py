"""Content-check callbacks for rating comments."""
