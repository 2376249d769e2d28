"""Bulk import of historic exchanges from a file (`timebank import`): read, check, record."""
