"""`softmax grad` (being written)."""
