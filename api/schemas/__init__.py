"""Request (`*Create`, `*Update`) and response (`*Public`) shapes, with the contract's rules."""
