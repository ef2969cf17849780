"""Dynamic management: warnings and suspensions from scores, completion and complaints."""
