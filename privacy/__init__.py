"""Residents' rights over their data: everything held about one resident, exported or erased.

A floor of its own (between the domains and the bot/console): it reads across them — followers (core),
questions and feedback (faq), consultations (desk), notice recipient lists (broadcasts) — and both the CLI
and the console's admin page use it. Retention (deleting what is old) is app/retention.py.
"""
