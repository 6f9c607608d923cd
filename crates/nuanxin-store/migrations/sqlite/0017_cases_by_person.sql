-- Who a rights case is about: the first-help-day counters (workers helped from 1 January) look
-- a person's cases up at every change of one of them.
CREATE INDEX rights_cases_person ON rights_cases (person_key);
