-- Issue 15: accounts are suspended, lifted and closed by admins above them. The account page
-- says when its status last changed and who changed it (shown white-labelled, ShownActor).
ALTER TABLE accounts
  ADD COLUMN status_changed_at DATETIME(6) NULL,
  ADD COLUMN status_changed_by BIGINT NULL;
