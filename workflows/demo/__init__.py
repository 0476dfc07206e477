"""`spr demo`: a whole round on loopback, answered by simulated participants who follow their emails."""
