"""The social contract as SLOs: versions, clauses, live clause status, burn-rate alerts and
OpenSLO (DESIGN.md §3.1), laid out like an app.

The rest of the community app (the spine) never imports this package; the package builds on
the spine. Its models live in ``community/models/contract.py`` so that their app label and
tables stay ``community``'s. The package registers itself as a second, model-less app
(``community.contract.apps.ContractConfig``, label ``contract``) whose ``ready`` wires tasks,
metrics, the demo step and the ingest receiver. Keep this module empty: the models import
``community.contract.slo``, which runs it first.
"""
