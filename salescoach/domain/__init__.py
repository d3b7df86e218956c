"""The domain layer: pure functions over pandas frames (goals, attainment, monitoring, diagnosis,
recognition, training, coaching, access rules) and the data contract they work over.

No module here opens a file or a database, or knows of the app, the command line or rendering
(enforced by `.importlinter`). Everything above calls down into it.
"""
