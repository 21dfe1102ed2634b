-- An approved version of the minutes is the partnership's record as it was approved: nothing changes it
-- (a correction is a new version). Refused in the database too, whatever the application does.
CREATE FUNCTION minutes_approved_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'approved' THEN
        RAISE EXCEPTION 'approved minutes (meeting %, version %) cannot be changed', OLD.meeting_id, OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN coalesce(NEW, OLD);  -- a draft may change, or go
END;
$$;

CREATE TRIGGER minutes_approved_unchanged BEFORE UPDATE OR DELETE ON minutes
    FOR EACH ROW EXECUTE FUNCTION minutes_approved_unchanged();
