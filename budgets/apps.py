from __future__ import annotations

from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Forgiveness budgets"

    def ready(self) -> None:
        from budgets import metrics, tasks  # noqa: F401 - tasks registers the tasks
        from budgets.overturned import count_overturned
        from budgets.receivers import on_conduct_events_recorded
        from community.contract.hooks import register_appeal_counter
        from community.domain_events import conduct_events_recorded

        conduct_events_recorded.connect(
            on_conduct_events_recorded, dispatch_uid="budgets.charge_events"
        )
        metrics.register()
        register_appeal_counter("budgets.overturned", count_overturned)
        # The replay of a draft policy (the replay package is part of the spine's contract).
        from budgets import policy_replay
        from community.contract.replay.hooks import PolicyReplayer, register_policy_replayer

        register_policy_replayer(
            "budgets.policy",
            PolicyReplayer(check=policy_replay.check_draft, replay=policy_replay.replay_policy),
        )
