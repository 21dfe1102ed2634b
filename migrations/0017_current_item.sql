-- The item the meeting is discussing now (pitstop.live): the chair moves it through the agenda, and every
-- attendee's screen follows it. NULL before the meeting starts, after it ends, or on an empty agenda.
ALTER TABLE meeting ADD COLUMN current_item_id bigint;
ALTER TABLE meeting ADD CONSTRAINT meeting_current_item_fkey FOREIGN KEY (partnership_id, current_item_id)
    REFERENCES agenda_item (partnership_id, id);
