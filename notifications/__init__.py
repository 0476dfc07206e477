"""Email: one Jinja2 environment, message building, the outbox, SMTP delivery, a development SMTP server."""
