"""Webhooks: endpoints registered per organisation, each following the change feed."""
