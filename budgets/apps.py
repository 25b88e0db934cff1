from __future__ import annotations

from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Forgiveness budgets"

    def ready(self) -> None:
        from budgets import metrics, policy_replay, tasks  # noqa: F401 - tasks registers the tasks
        from budgets.overturned import count_overturned
        from budgets.policy_keeper import BudgetPolicyKeeper
        from budgets.receivers import on_conduct_events_recorded
        from community.contract.hooks import register_appeal_counter, register_policy_keeper
        from community.contract.replay.hooks import PolicyReplayer, register_policy_replayer
        from community.domain_events import conduct_events_recorded

        conduct_events_recorded.connect(
            on_conduct_events_recorded, dispatch_uid="budgets.charge_events"
        )
        metrics.register()
        register_appeal_counter("budgets.overturned", count_overturned)
        # The replay of a draft policy (the replay package is part of the spine's contract).
        register_policy_replayer(
            "budgets.policy",
            PolicyReplayer(check=policy_replay.check_draft, replay=policy_replay.replay_policy),
        )
        register_policy_keeper("budgets.policy", BudgetPolicyKeeper())
