"""What tests share: the round most workflow tests run (round_world), rounds put straight into a stage
(staged_rounds, stored_answers), running commands as an operator does, reading the emails a round sends,
answering its forms as participants do, email to deliver (outgoing_mail), hostile files, and the real browser.
Test modules import from here, never from each other."""
