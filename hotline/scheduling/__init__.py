"""The scheduler: jobs declared once, run by one active process (a database lock keeps it single) or by
``hotline sweep``, each in one transaction and idempotent; the deadline sweep over tickets and leads."""
