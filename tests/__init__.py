"""Tests of the DeepSeek Balance integration and its API client."""
