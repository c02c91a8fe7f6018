-- Issue 15, item 6: the audit log filtered by user and by date range (the account-name filter uses
-- audit_log_account of 0013). Each index ends in the id so an actor's entries come newest first
-- from the index alone; a date range reads its span by time.
ALTER TABLE audit_log
  ADD KEY audit_log_actor (actor_user_id, id),
  ADD KEY audit_log_occurred (occurred_at, id);
