"""Agents' in-app notifications and their e-mail copies, mentions in internal notes, preferences."""
