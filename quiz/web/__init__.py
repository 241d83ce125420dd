"""`quiz serve`: the review app in web browsers."""
