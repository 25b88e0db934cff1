"""The demo community (`manage.py seed_demo`); see ``demo.build``."""
