"""Supervisors' figures and exports."""
