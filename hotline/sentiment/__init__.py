"""Public sentiment (舆情): ingest, classification, grouping into events, feeds and verification leads."""
