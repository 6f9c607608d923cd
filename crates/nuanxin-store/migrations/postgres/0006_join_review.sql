-- A join that names a known person but cannot prove to be them (the SMS code is of another phone
-- than the one on record, or a partner or import names a member of a union outside its scope)
-- changes nothing of that person: it is kept as a request in status 'review', with the name and
-- phone as submitted, for a cadre of the receiving union to check. Only an approval applies them.
ALTER TABLE memberships ADD COLUMN claimed_name TEXT;
ALTER TABLE memberships ADD COLUMN claimed_phone TEXT;
ALTER TABLE memberships ADD COLUMN review_reason TEXT;  -- phone_differs | member_elsewhere
