from __future__ import annotations

from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Forgiveness budgets"

    def ready(self) -> None:
        from budgets import metrics, tasks  # noqa: F401 - tasks registers the tasks
        from budgets.overturned import count_overturned
        from budgets.policy_keeper import BudgetPolicyKeeper
        from budgets.receivers import on_conduct_events_recorded
        from community.contract.hooks import register_appeal_counter, register_policy_keeper
        from community.domain_events import conduct_events_recorded

        conduct_events_recorded.connect(
            on_conduct_events_recorded, dispatch_uid="budgets.charge_events"
        )
        metrics.register()
        register_appeal_counter("budgets.overturned", count_overturned)
        register_policy_keeper("budgets.policy", BudgetPolicyKeeper())
