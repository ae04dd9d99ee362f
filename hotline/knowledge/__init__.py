"""Knowledge-base content in the database (import, edits with history), its search store and 政策找人."""
