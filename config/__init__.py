"""Settings and the default content that ships with spr (questionnaires, example round, participants)."""
