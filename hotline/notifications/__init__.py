"""Notifications: in the app (per unit or per role, read state per user) and out through each unit's
webhook (HMAC-signed, retried with backoff, delivery recorded)."""
