"""Review packs: running pack notebooks through papermill (or a fork of a pre-imported worker),
printing HTML to PDF through one reused browser, and the privacy scan that guards each pack.
It calls the services for figures; the services never call it.
"""
