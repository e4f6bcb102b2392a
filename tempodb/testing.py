"""pytest plugin: a real TempoDB server for your tests (fixtures arrive with the server)."""
