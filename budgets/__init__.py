"""Forgiveness budgets: policy, ledger of charges, appeals, member budget snapshots."""
