"""People, API tokens, roles, the audit trail and the personal-data policy (who sees what unmasked)."""
