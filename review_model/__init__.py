"""The domain and the store of stakeholder peer review rounds: pure Python, no Prefect, SMTP or HTTP."""
