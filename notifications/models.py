"""Subscribers and the delivery outbox live here."""
