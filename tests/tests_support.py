"""Constants shared by test modules (importable: tests/ is on sys.path via the pytest configuration)."""

PASSWORD = "Test-Passw0rd-long"
