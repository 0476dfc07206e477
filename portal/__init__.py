"""The web app participants and reviewers use behind their personal links, and the coordinator's pages."""
