"""Help-desk operations: business hours, SLA policies and their clocks, teams, routing and assignment.

Each use case is its own module (``business_hours``, ``sla``, ``routing``, ``admin``); the tables are
in ``models``. A new ticket is routed and then timed in the creating transaction
(``helpdesk.service.create_ticket`` calls ``intake.on_ticket_created``), so its team, assignee and due
times are there when it is read right after creation.
"""
