"""What tests share: running commands as an operator does, reading the emails a round sends, and answering
its forms as participants do. Test modules import from here, never from each other."""
