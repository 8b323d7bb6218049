"""HTTP and WebSocket routes of the ingest service."""
