"""Providers: the AI models Wave talks to, and how requests are routed to them."""
