"""PostgreSQL schema, engine and migrations shared by the services."""
