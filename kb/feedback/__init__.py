"""What readers tell us about the knowledge base: article feedback, the contact-form deflection funnel, insights."""
