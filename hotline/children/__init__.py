"""Children, not just tickets: the register (places, scopes, records with versions, privacy, exports), home
visits at the plan's frequencies, links to tickets and leads, and 数据找人 — other agencies' lists matched
against the register (``matching.py``, pure) into the county's review queue."""
