"""The coordinator's console: staff login, a round's dashboard and its actions."""
