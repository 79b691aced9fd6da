"""carts."""
