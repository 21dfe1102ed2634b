"""The working-day calendar: working hours, bank holidays and closure days, and clocks counted in them."""
