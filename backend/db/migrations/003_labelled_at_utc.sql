-- labelledAt is compared as text (the latest label of a record wins): every stored value becomes UTC
-- with milliseconds and a Z ('2026-11-26T23:20:00.123Z', what Date.toISOString() writes), and no label
-- may claim to be newer than its arrival (a device whose clock runs ahead would otherwise win for ever).
-- New labels are normalised the same way by labels.submit (backend/labels.ts normaliseLabelledAt).
UPDATE labels SET labelled_at = strftime('%Y-%m-%dT%H:%M:%fZ', labelled_at) WHERE strftime('%Y-%m-%dT%H:%M:%fZ', labelled_at) IS NOT NULL;
UPDATE labels SET labelled_at = received_at WHERE labelled_at > received_at;
UPDATE training_instances SET labelled_at = (SELECT l.labelled_at FROM labels l WHERE l.id = training_instances.label_id) WHERE label_id IS NOT NULL;
