"""HTTP plumbing shared by every feature: middleware, errors, templating, health, static assets."""
