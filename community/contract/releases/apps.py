"""The releases package's app config: its own models and migrations (label ``releases``),
wired into the contract through ``community.contract.hooks`` so that the contract never
imports the package."""

from __future__ import annotations

from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "community.contract.releases"
    label = "releases"
    verbose_name = "Contract releases"

    def ready(self) -> None:
        # tasks registers the tasks, which beat and community.jobs name
        from community.attention import register_source
        from community.contract.hooks import (
            register_publish_guard,
            register_trial_costs,
            register_trial_rules,
            register_trial_section,
        )
        from community.contract.releases import canary, council, rules, tasks, trial  # noqa: F401
        from community.domain_events import conduct_events_recorded

        register_publish_guard("releases.ratification", council.ratification_refusal)
        register_publish_guard("releases.running_trial", canary.running_canary_refusal)
        register_trial_section("releases.trial", trial.trial_section)
        register_trial_rules("releases.trial_rules", rules.running_trial_rules)
        register_trial_costs("releases.trial_costs", rules.running_trial_costs)
        register_source(trial.CouncilAwaiting())
        conduct_events_recorded.connect(
            canary.on_events_recorded, dispatch_uid="releases.canary_check"
        )
