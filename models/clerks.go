package models

// dropChecksMentioning drops, on PostgreSQL, the CHECK constraints of a
// table whose definition mentions a word: the ones created without a name.
func dropChecksMentioning(table, word string) string {
	return `DO $$ DECLARE c record; BEGIN
		FOR c IN SELECT conname FROM pg_constraint
			WHERE conrelid = '` + table + `'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%''` + word + `''%'
		LOOP EXECUTE format('ALTER TABLE ` + table + ` DROP CONSTRAINT %I', c.conname); END LOOP;
	END $$`
}
