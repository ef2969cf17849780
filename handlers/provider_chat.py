"""Official-account chat for professional services: rating prompts and provider QR scenes."""
