"""The job system shared by every queue and every background loop.

``lease``: who holds a row of work and who may take it over; ``worker``: the loop that polls a
queue, wakes early when poked and stops gracefully; ``schedule``: the housekeeping jobs (pruning,
snapshots) run at their intervals by one loop. Each queue keeps its own table and its own module
for what a job does (send a mail, attempt a webhook, run an import or an export).
"""
