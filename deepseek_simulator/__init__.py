"""A DeepSeek API look-alike for the tests, the benchmarks and the offline demo.

A package of its own, so that tests, ``scripts/develop`` and ``scripts/bench``
import it alike; ``python -m deepseek_simulator`` runs it alone.
"""

from .server import (
    CHAOS_MIX,
    DEFAULT_API_KEY,
    CurrencyAccount,
    DeepSeekSimulator,
    Scenario,
    SimulatorState,
    chaos_plan,
    run_simulator,
    serve_app,
)

__all__ = [
    "CHAOS_MIX",
    "DEFAULT_API_KEY",
    "CurrencyAccount",
    "DeepSeekSimulator",
    "Scenario",
    "SimulatorState",
    "chaos_plan",
    "run_simulator",
    "serve_app",
]
