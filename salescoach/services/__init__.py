"""The edge between the pure domain modules and the workbook.

A service reads facts and decisions from a Workbook, calls the pure functions of its concept
(salescoach.goals, salescoach.diagnosis, ...) and appends decisions to the store. The CLI, the
notebooks and the Voila app all go through services, so each write is made in one place.
"""
