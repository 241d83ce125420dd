"""Load tests: a class of learners answering at once on one database."""
