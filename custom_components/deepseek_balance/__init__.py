"""The DeepSeek Balance integration."""
