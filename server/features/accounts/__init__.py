"""Accounts: changes to accounts and their HTTP routes."""
