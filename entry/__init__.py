"""The entry layer: the ``aftercare`` command, the ASGI app for uvicorn, the demo loader, the job list.

The top of the house. It wires the domains together (which modules hold jobs, which demo data
loads in which order, every table for migrations) so that no layer below needs to import upward.
"""
