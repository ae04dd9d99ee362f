"""Regions of Jilin and agency units (an agency type at a region): seeding, naming, routing."""
