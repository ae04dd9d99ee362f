"""Children, not just tickets: 数据找人 — matching other agencies' records against the register's children
and guardians (``matching.py``, pure). The register, home visits and the review queue come next."""
