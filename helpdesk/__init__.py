"""Help desk domain: customers, user accounts and roles, tickets, messages and their audit trail."""
