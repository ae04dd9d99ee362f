"""/api/v1 for integrations (bearer tokens)."""
