"""pytest plugin for tools/mutate_rules.py --pytest: applies the mutant named in MUTATE_RULES_MUTANT."""

import mutate_rules


def pytest_configure(config):
    mutate_rules.apply_from_environment()
