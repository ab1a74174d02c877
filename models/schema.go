package models

// genesisHash is the prev_hash of the first audit event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// migrations is the schema's whole history, in version order, in this one
// file: a table's definition is found here, whichever area uses it (an
// applied migration cannot be split by area). Never edit an applied
// migration: add a new one at the end.
var migrations = []Migration{
	{
		Version: 1,
		Name:    "core: branches, units, accounts, handlers, staff, sessions, audit",
		Up: []string{
			`CREATE TABLE branches (
				code TEXT PRIMARY KEY CHECK (code IN ('1','2','3','4','5','6')),
				name TEXT NOT NULL UNIQUE CHECK (name <> ''),
				phone TEXT NOT NULL CHECK (phone <> ''),
				address TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE TABLE units (
				id {{ID}},
				code TEXT NOT NULL UNIQUE CHECK (length(code) = 9 AND {{DIGITS:code}}),
				ban TEXT NOT NULL CHECK (length(ban) = 8 AND {{DIGITS:ban}}),
				name TEXT NOT NULL CHECK (name <> ''),
				branch_code TEXT NOT NULL REFERENCES branches(code),
				status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
				status_reason TEXT NOT NULL DEFAULT '',
				reg_county TEXT NOT NULL DEFAULT '',
				reg_township TEXT NOT NULL DEFAULT '',
				reg_village TEXT NOT NULL DEFAULT '',
				reg_neighborhood TEXT NOT NULL DEFAULT '',
				reg_street TEXT NOT NULL DEFAULT '',
				mail_county TEXT NOT NULL DEFAULT '',
				mail_township TEXT NOT NULL DEFAULT '',
				mail_village TEXT NOT NULL DEFAULT '',
				mail_neighborhood TEXT NOT NULL DEFAULT '',
				mail_street TEXT NOT NULL DEFAULT '',
				phone TEXT NOT NULL DEFAULT '',
				fax TEXT NOT NULL DEFAULT '',
				labor_ins_no TEXT CHECK (labor_ins_no IS NULL OR length(labor_ins_no) = 9),
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				created_at {{TS}} NOT NULL,
				updated_at {{TS}} NOT NULL
			)`,
			`CREATE INDEX units_ban ON units (ban)`,
			`CREATE INDEX units_branch_code ON units (branch_code, code)`,
			`CREATE INDEX units_name ON units (name)`,
			`CREATE TABLE unit_accounts (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				reg_type TEXT NOT NULL CHECK (reg_type IN ('business_cert','nhi_card')),
				cert_issuer TEXT,
				cert_serial TEXT,
				cert_subject TEXT,
				cert_not_before {{TS}},
				cert_not_after {{TS}},
				nhi_card_no TEXT,
				nhi_id_no TEXT,
				password_hash TEXT,
				status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','deregistered')),
				failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
				locked_until {{TS}},
				registered_at {{TS}} NOT NULL,
				deregistered_at {{TS}},
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				CHECK (
					(reg_type = 'business_cert' AND cert_issuer IS NOT NULL AND cert_serial IS NOT NULL
						AND cert_subject IS NOT NULL AND cert_not_before IS NOT NULL AND cert_not_after IS NOT NULL
						AND nhi_card_no IS NULL AND nhi_id_no IS NULL AND password_hash IS NULL)
					OR
					(reg_type = 'nhi_card' AND nhi_card_no IS NOT NULL AND nhi_id_no IS NOT NULL
						AND password_hash IS NOT NULL AND cert_serial IS NULL AND cert_issuer IS NULL)
				),
				CHECK ((status = 'deregistered') = (deregistered_at IS NOT NULL))
			)`,
			// At most one active account per unit: the heart of Q4.
			`CREATE UNIQUE INDEX unit_accounts_one_active ON unit_accounts (unit_id) WHERE status = 'active'`,
			`CREATE UNIQUE INDEX unit_accounts_active_cert ON unit_accounts (cert_issuer, cert_serial) WHERE status = 'active' AND reg_type = 'business_cert'`,
			`CREATE TABLE handlers (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				card_type TEXT NOT NULL CHECK (card_type IN ('citizen_cert','nhi_card')),
				id_no TEXT NOT NULL CHECK (length(id_no) = 10),
				card_serial TEXT NOT NULL CHECK (card_serial <> ''),
				cert_issuer TEXT,
				name TEXT NOT NULL CHECK (name <> ''),
				email TEXT NOT NULL CHECK (email LIKE '%_@_%'),
				may_file BOOLEAN NOT NULL DEFAULT FALSE,
				status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','revoked')),
				created_at {{TS}} NOT NULL,
				created_by TEXT NOT NULL DEFAULT '',
				revoked_at {{TS}},
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
			)`,
			`CREATE UNIQUE INDEX handlers_one_active ON handlers (unit_id, id_no) WHERE status = 'active'`,
			`CREATE INDEX handlers_id_no ON handlers (id_no)`,
			`CREATE TABLE staff (
				id {{ID}},
				username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 64),
				name TEXT NOT NULL CHECK (name <> ''),
				role TEXT NOT NULL CHECK (role IN ('staff','supervisor','auditor','admin')),
				branch_code TEXT REFERENCES branches(code),
				email TEXT NOT NULL DEFAULT '',
				password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
				failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
				locked_until {{TS}},
				status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
				created_at {{TS}} NOT NULL,
				last_login_at {{TS}}
			)`,
			`CREATE TABLE sessions (
				id TEXT PRIMARY KEY CHECK (length(id) = 64),
				csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 32),
				kind TEXT NOT NULL CHECK (kind IN ('anonymous','staff','unit','handler')),
				role TEXT NOT NULL DEFAULT '',
				staff_id BIGINT REFERENCES staff(id) ON DELETE CASCADE,
				unit_id BIGINT REFERENCES units(id) ON DELETE CASCADE,
				account_id BIGINT REFERENCES unit_accounts(id) ON DELETE CASCADE,
				handler_id BIGINT REFERENCES handlers(id) ON DELETE CASCADE,
				client_ip TEXT NOT NULL DEFAULT '',
				user_agent TEXT NOT NULL DEFAULT '',
				created_at {{TS}} NOT NULL,
				last_seen_at {{TS}} NOT NULL,
				expires_at {{TS}} NOT NULL,
				CHECK ((kind = 'staff') = (staff_id IS NOT NULL)),
				CHECK ((kind IN ('unit','handler')) = (unit_id IS NOT NULL)),
				CHECK ((kind = 'handler') = (handler_id IS NOT NULL)),
				CHECK (kind = 'anonymous' OR role <> '')
			)`,
			`CREATE INDEX sessions_staff ON sessions (staff_id)`,
			`CREATE INDEX sessions_unit ON sessions (unit_id)`,
			`CREATE INDEX sessions_handler ON sessions (handler_id)`,
			`CREATE INDEX sessions_expires ON sessions (expires_at)`,
			`CREATE TABLE audit_events (
				id {{ID}},
				seq BIGINT NOT NULL UNIQUE CHECK (seq > 0),
				at {{TS}} NOT NULL,
				actor_kind TEXT NOT NULL CHECK (actor_kind IN ('system','anonymous','staff','unit','handler')),
				actor_id BIGINT,
				actor_name TEXT NOT NULL DEFAULT '',
				role TEXT NOT NULL DEFAULT '',
				unit_id BIGINT REFERENCES units(id),
				branch_code TEXT,
				action TEXT NOT NULL CHECK (action <> ''),
				object_type TEXT NOT NULL DEFAULT '',
				object_id TEXT NOT NULL DEFAULT '',
				before_json TEXT NOT NULL DEFAULT '',
				after_json TEXT NOT NULL DEFAULT '',
				reason TEXT NOT NULL DEFAULT '',
				client_ip TEXT NOT NULL DEFAULT '',
				prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
				hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
			)`,
			`CREATE INDEX audit_events_unit ON audit_events (unit_id, seq)`,
			`CREATE INDEX audit_events_at ON audit_events (at)`,
			`CREATE INDEX audit_events_actor ON audit_events (actor_kind, actor_id, seq)`,
			// audit_head holds the chain's tip; updating it first serialises
			// writers so the chain never forks.
			`CREATE TABLE audit_head (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				seq BIGINT NOT NULL,
				hash TEXT NOT NULL CHECK (length(hash) = 64)
			)`,
			`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '` + genesisHash + `')`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
			BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
			`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
			BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`,
		},
		UpPostgres: []string{
			`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$`,
			`CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
			FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`,
			`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
			FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`,
		},
		DownPostgres: []string{
			`DROP TRIGGER audit_events_no_truncate ON audit_events`,
			`DROP TRIGGER audit_events_no_update ON audit_events`,
			`DROP FUNCTION audit_events_append_only()`,
		},
		Down: []string{
			`DROP TABLE audit_head`,
			`DROP TABLE audit_events`,
			`DROP TABLE sessions`,
			`DROP TABLE staff`,
			`DROP TABLE handlers`,
			`DROP TABLE unit_accounts`,
			`DROP TABLE units`,
			`DROP TABLE branches`,
		},
	},
	{
		Version: 2,
		Name:    "card login: nonces and NHI card network registrations",
		Up: []string{
			// A nonce is single use, bound to the pre-login session that asked
			// for it, and short-lived. Only its SHA-256 is kept.
			`CREATE TABLE login_nonces (
				id TEXT PRIMARY KEY CHECK (length(id) = 64),
				session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
				purpose TEXT NOT NULL CHECK (purpose <> ''),
				created_at {{TS}} NOT NULL,
				expires_at {{TS}} NOT NULL,
				used_at {{TS}},
				CHECK (expires_at > created_at)
			)`,
			`CREATE INDEX login_nonces_session ON login_nonces (session_id)`,
			`CREATE INDEX login_nonces_expires ON login_nonces (expires_at)`,
			// 健保卡網路服務註冊: a person's NHI card registered for network
			// use with a password. Handlers and responsible persons who log in
			// with an NHI card need one.
			`CREATE TABLE nhi_registrations (
				id {{ID}},
				id_no TEXT NOT NULL UNIQUE CHECK (length(id_no) = 10),
				card_no TEXT NOT NULL CHECK (length(card_no) = 12 AND {{DIGITS:card_no}}),
				name TEXT NOT NULL CHECK (name <> ''),
				password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
				failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
				locked_until {{TS}},
				created_at {{TS}} NOT NULL,
				updated_at {{TS}} NOT NULL,
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0)
			)`,
			// The responsible person (負責人): a unit registering with an NHI
			// card must use this person's card.
			`ALTER TABLE units ADD COLUMN owner_id_no TEXT CHECK (owner_id_no IS NULL OR length(owner_id_no) = 10)`,
			`ALTER TABLE units ADD COLUMN owner_name TEXT NOT NULL DEFAULT ''`,
		},
		Down: []string{
			`ALTER TABLE units DROP COLUMN owner_name`,
			`ALTER TABLE units DROP COLUMN owner_id_no`,
			`DROP TABLE nhi_registrations`,
			`DROP TABLE login_nonces`,
		},
	},
	{
		Version: 3,
		Name:    "unit self-service: handler management rights, change requests with proof documents",
		Up: []string{
			// A handler with management rights (單位管理者) may assign
			// handlers and change the unit's certificate, as the unit decides.
			`ALTER TABLE handlers ADD COLUMN may_manage BOOLEAN NOT NULL DEFAULT FALSE`,
			`ALTER TABLE handlers ADD COLUMN revoked_by TEXT NOT NULL DEFAULT ''`,
			// 基本資料變更-需證明文件: a change of registered address and/or
			// name, waiting for the bureau's review.
			`CREATE TABLE change_requests (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				kind TEXT NOT NULL CHECK (kind IN ('with_proof')),
				change_name BOOLEAN NOT NULL,
				change_reg BOOLEAN NOT NULL,
				new_name TEXT NOT NULL DEFAULT '',
				new_reg_county TEXT NOT NULL DEFAULT '',
				new_reg_township TEXT NOT NULL DEFAULT '',
				new_reg_village TEXT NOT NULL DEFAULT '',
				new_reg_neighborhood TEXT NOT NULL DEFAULT '',
				new_reg_street TEXT NOT NULL DEFAULT '',
				before_json TEXT NOT NULL,
				effective_date TEXT NOT NULL CHECK (length(effective_date) = 10),
				contact_name TEXT NOT NULL CHECK (contact_name <> ''),
				contact_phone TEXT NOT NULL CHECK (contact_phone <> ''),
				status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected','cancelled')),
				decision_reason TEXT NOT NULL DEFAULT '',
				submitted_by TEXT NOT NULL,
				submitted_at {{TS}} NOT NULL,
				decided_by BIGINT REFERENCES staff(id),
				decided_at {{TS}},
				cancelled_at {{TS}},
				applied_at {{TS}},
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				CHECK (change_name OR change_reg),
				CHECK (NOT change_name OR new_name <> ''),
				CHECK (NOT change_reg OR (new_reg_county <> '' AND new_reg_township <> '' AND new_reg_village <> '' AND new_reg_street <> '')),
				CHECK ((status IN ('approved','rejected')) = (decided_at IS NOT NULL)),
				CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
				CHECK (applied_at IS NULL OR status = 'approved')
			)`,
			// One pending request of a kind per unit.
			`CREATE UNIQUE INDEX change_requests_one_pending ON change_requests (unit_id, kind) WHERE status = 'pending'`,
			`CREATE INDEX change_requests_unit ON change_requests (unit_id, submitted_at)`,
			`CREATE INDEX change_requests_status ON change_requests (status, submitted_at)`,
			`CREATE TABLE change_documents (
				id {{ID}},
				request_id BIGINT NOT NULL REFERENCES change_requests(id),
				slot INTEGER NOT NULL CHECK (slot IN (1, 2)),
				file_name TEXT NOT NULL,
				content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf','image/jpeg','image/png')),
				size BIGINT NOT NULL CHECK (size > 0 AND size <= 10485760),
				sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
				data {{BLOB}} NOT NULL,
				created_at {{TS}} NOT NULL,
				UNIQUE (request_id, slot)
			)`,
		},
		Down: []string{
			`DROP TABLE change_documents`,
			`DROP TABLE change_requests`,
			`ALTER TABLE handlers DROP COLUMN revoked_by`,
			`ALTER TABLE handlers DROP COLUMN may_manage`,
		},
	},
	{
		Version: 4,
		Name:    "console decisions: unit status reasons, deregistration with four eyes, notices and the mail outbox",
		Up: []string{
			`ALTER TABLE units ADD COLUMN status_code TEXT NOT NULL DEFAULT ''`,
			// Q4: staff request the deregistration of a unit account; another
			// person, a supervisor, decides. The schema refuses a decision by
			// the requester.
			`CREATE TABLE deregistrations (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				account_id BIGINT NOT NULL REFERENCES unit_accounts(id),
				reason TEXT NOT NULL CHECK (reason <> ''),
				requested_by BIGINT NOT NULL REFERENCES staff(id),
				requested_at {{TS}} NOT NULL,
				status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
				decided_by BIGINT REFERENCES staff(id),
				decided_at {{TS}},
				decision_note TEXT NOT NULL DEFAULT '',
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				CHECK (decided_by IS NULL OR decided_by <> requested_by),
				CHECK ((status = 'pending') = (decided_at IS NULL)),
				CHECK ((status = 'pending') = (decided_by IS NULL))
			)`,
			`CREATE UNIQUE INDEX deregistrations_one_pending ON deregistrations (account_id) WHERE status = 'pending'`,
			`CREATE INDEX deregistrations_status ON deregistrations (status, requested_at)`,
			// Portal notices: what the unit sees on its home page.
			`CREATE TABLE notices (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				title TEXT NOT NULL CHECK (title <> ''),
				body TEXT NOT NULL DEFAULT '',
				link TEXT NOT NULL DEFAULT '',
				created_at {{TS}} NOT NULL,
				read_at {{TS}}
			)`,
			`CREATE INDEX notices_unit ON notices (unit_id, created_at)`,
			// The mail outbox: written in the transaction of the change it
			// reports, sent afterwards; dedup_key makes a mail unique.
			`CREATE TABLE outbox (
				id {{ID}},
				dedup_key TEXT NOT NULL UNIQUE,
				to_addrs TEXT NOT NULL CHECK (to_addrs <> ''),
				subject TEXT NOT NULL,
				body TEXT NOT NULL,
				created_at {{TS}} NOT NULL,
				sent_at {{TS}},
				attempts INTEGER NOT NULL DEFAULT 0,
				last_error TEXT NOT NULL DEFAULT '',
				next_attempt_at {{TS}} NOT NULL
			)`,
			`CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at)`,
		},
		Down: []string{
			`DROP TABLE outbox`,
			`DROP TABLE notices`,
			`DROP TABLE deregistrations`,
			`ALTER TABLE units DROP COLUMN status_code`,
		},
	},
	{
		Version: 5,
		Name:    "phone support cases and their notes",
		Up: []string{
			`CREATE TABLE cases (
				id {{ID}},
				branch_code TEXT NOT NULL REFERENCES branches(code),
				unit_id BIGINT REFERENCES units(id),
				caller_name TEXT NOT NULL CHECK (caller_name <> ''),
				caller_phone TEXT NOT NULL CHECK (caller_phone <> ''),
				caller_ref TEXT NOT NULL DEFAULT '',
				topic TEXT NOT NULL CHECK (topic IN ('q1','q2','q3','q4','q5','q6','q7','q8','q9','q10','q11','other')),
				notes TEXT NOT NULL DEFAULT '',
				status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','waiting','resolved')),
				resolution TEXT NOT NULL DEFAULT '',
				opened_by BIGINT NOT NULL REFERENCES staff(id),
				assigned_to BIGINT REFERENCES staff(id),
				opened_at {{TS}} NOT NULL,
				updated_at {{TS}} NOT NULL,
				resolved_at {{TS}},
				version BIGINT NOT NULL DEFAULT 1 CHECK (version > 0),
				CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
				CHECK (status <> 'resolved' OR resolution <> '')
			)`,
			// The queue: a branch's cases of a status, oldest first.
			`CREATE INDEX cases_queue ON cases (branch_code, status, opened_at)`,
			`CREATE INDEX cases_unit ON cases (unit_id, opened_at)`,
			`CREATE INDEX cases_assigned ON cases (assigned_to, status)`,
			`CREATE TABLE case_notes (
				id {{ID}},
				case_id BIGINT NOT NULL REFERENCES cases(id),
				staff_id BIGINT NOT NULL REFERENCES staff(id),
				at {{TS}} NOT NULL,
				text TEXT NOT NULL CHECK (text <> '')
			)`,
			`CREATE INDEX case_notes_case ON case_notes (case_id, at)`,
		},
		Down: []string{
			`DROP TABLE case_notes`,
			`DROP TABLE cases`,
		},
	},
	// Sampling (抽樣覆核): a supervisor draws random decisions of the past week
	// and records for each whether it was appropriate. An event is sampled at
	// most once, and a verdict once recorded is final, by constraint and
	// trigger as well as in Go.
	{
		Version: 6,
		Name:    "sampling of staff decisions for supervisors' review",
		Up: []string{
			// branch_code NULL: drawn by head office, from every branch.
			`CREATE TABLE samples (
				id {{ID}},
				branch_code TEXT REFERENCES branches(code),
				drawn_by BIGINT NOT NULL REFERENCES staff(id),
				drawn_at {{TS}} NOT NULL,
				size INTEGER NOT NULL CHECK (size BETWEEN 1 AND 50)
			)`,
			`CREATE INDEX samples_branch ON samples (branch_code, drawn_at)`,
			`CREATE TABLE sample_items (
				id {{ID}},
				sample_id BIGINT NOT NULL REFERENCES samples(id),
				audit_event_id BIGINT NOT NULL UNIQUE REFERENCES audit_events(id),
				verdict TEXT CHECK (verdict IN ('ok','concern')),
				note TEXT NOT NULL DEFAULT '',
				decided_by BIGINT REFERENCES staff(id),
				decided_at {{TS}},
				CHECK ((verdict IS NULL) = (decided_at IS NULL)),
				CHECK ((verdict IS NULL) = (decided_by IS NULL)),
				CHECK (verdict IS NULL OR verdict <> 'concern' OR trim(note) <> '')
			)`,
			`CREATE INDEX sample_items_sample ON sample_items (sample_id, id)`,
			// Statistics and sampling read decisions by action and time.
			`CREATE INDEX audit_events_action_at ON audit_events (action, at)`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER sample_items_verdict_final BEFORE UPDATE ON sample_items
			WHEN OLD.verdict IS NOT NULL
			BEGIN SELECT RAISE(ABORT, 'sample verdicts are final'); END`,
		},
		UpPostgres: []string{
			`CREATE FUNCTION sample_items_verdict_final() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF OLD.verdict IS NOT NULL THEN RAISE EXCEPTION 'sample verdicts are final'; END IF;
				RETURN NEW;
			END $$`,
			`CREATE TRIGGER sample_items_verdict_final BEFORE UPDATE ON sample_items
			FOR EACH ROW EXECUTE FUNCTION sample_items_verdict_final()`,
		},
		DownSQLite: []string{
			`DROP TRIGGER sample_items_verdict_final`,
		},
		DownPostgres: []string{
			`DROP TRIGGER sample_items_verdict_final ON sample_items`,
			`DROP FUNCTION sample_items_verdict_final()`,
		},
		Down: []string{
			`DROP INDEX audit_events_action_at`,
			`DROP TABLE sample_items`,
			`DROP TABLE samples`,
		},
	},
	{
		Version: 7,
		Name:    "filings: enrollments, withdrawals and amount changes, coverage, the code table, grade tables, nightly batches",
		Up: []string{
			`CREATE TABLE filings (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				handler_id BIGINT REFERENCES handlers(id),
				filed_by TEXT NOT NULL,
				source TEXT NOT NULL CHECK (source IN ('web','upload')),
				kind TEXT NOT NULL CHECK (kind IN ('add','withdraw','adjust')),
				person TEXT NOT NULL CHECK (person IN ('insured','dependent')),
				operation TEXT NOT NULL DEFAULT 'health',
				insured_id TEXT NOT NULL CHECK (length(insured_id) = 10),
				dependent_id TEXT NOT NULL DEFAULT '' CHECK (dependent_id = '' OR length(dependent_id) = 10),
				name TEXT NOT NULL,
				sex TEXT NOT NULL CHECK (sex IN ('M','F')),
				birth TEXT NOT NULL CHECK (length(birth) = 10),
				relation TEXT NOT NULL DEFAULT '',
				reason TEXT NOT NULL,
				amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
				effective_date TEXT NOT NULL CHECK (length(effective_date) = 10),
				category TEXT NOT NULL DEFAULT '1',
				legal_rep BOOLEAN NOT NULL DEFAULT FALSE,
				filed_at {{TS}} NOT NULL,
				filed_on TEXT NOT NULL CHECK (length(filed_on) = 10),
				status TEXT NOT NULL CHECK (status IN ('validated','error')),
				codes TEXT NOT NULL DEFAULT '',
				validated_at {{TS}} NOT NULL,
				batch_on TEXT NOT NULL DEFAULT '',
				CHECK ((status = 'validated') = (codes = ''))
			)`,
			`CREATE INDEX filings_unit_filed ON filings (unit_id, filed_on, id)`,
			`CREATE INDEX filings_filed_on ON filings (filed_on, id)`,
			`CREATE INDEX filings_handler ON filings (handler_id, filed_on)`,
			// Who is insured by a unit now: an accepted add opens a row, an
			// accepted withdrawal closes it.
			`CREATE TABLE coverage (
				id {{ID}},
				unit_id BIGINT NOT NULL REFERENCES units(id),
				person_id TEXT NOT NULL,
				insured_id TEXT NOT NULL,
				birth TEXT NOT NULL,
				since TEXT NOT NULL,
				until TEXT,
				add_filing_id BIGINT NOT NULL REFERENCES filings(id),
				end_filing_id BIGINT REFERENCES filings(id)
			)`,
			`CREATE UNIQUE INDEX coverage_current ON coverage (unit_id, person_id) WHERE until IS NULL`,
			`CREATE INDEX coverage_insured ON coverage (unit_id, insured_id)`,
			// 錯誤代碼說明: the code table, kept by admin staff.
			`CREATE TABLE error_codes (
				code TEXT PRIMARY KEY,
				message TEXT NOT NULL CHECK (message <> ''),
				fix TEXT NOT NULL DEFAULT '',
				updated_at {{TS}} NOT NULL,
				updated_by TEXT NOT NULL DEFAULT ''
			)`,
			// 投保金額分級表 by effective date, loaded by admin staff.
			`CREATE TABLE grade_tables (
				id {{ID}},
				effective_date TEXT NOT NULL UNIQUE CHECK (length(effective_date) = 10),
				grades TEXT NOT NULL CHECK (grades <> ''),
				source TEXT NOT NULL DEFAULT '',
				loaded_by TEXT NOT NULL DEFAULT '',
				loaded_at {{TS}} NOT NULL
			)`,
			// The nightly re-validation: one row a day; changes it found, for
			// the filers' e-mail; both survive a crash so the batch resumes.
			`CREATE TABLE filing_batches (
				batch_on TEXT PRIMARY KEY CHECK (length(batch_on) = 10),
				started_at {{TS}} NOT NULL,
				finished_at {{TS}},
				validated BIGINT NOT NULL DEFAULT 0,
				changed BIGINT NOT NULL DEFAULT 0,
				mailed_at {{TS}}
			)`,
			`CREATE TABLE filing_changes (
				batch_on TEXT NOT NULL,
				filing_id BIGINT NOT NULL REFERENCES filings(id),
				unit_id BIGINT NOT NULL REFERENCES units(id),
				handler_id BIGINT REFERENCES handlers(id),
				old_status TEXT NOT NULL,
				new_status TEXT NOT NULL,
				codes TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (batch_on, filing_id)
			)`,
		},
		Down: []string{
			`DROP TABLE filing_changes`,
			`DROP TABLE filing_batches`,
			`DROP TABLE grade_tables`,
			`DROP TABLE error_codes`,
			`DROP TABLE coverage`,
			`DROP TABLE filings`,
		},
	},
	// Legacy events (written before the chain was keyed) keep an empty key_id.
	{
		Version: 8,
		Name:    "audit: key id of each event, for the keyed (HMAC) chain",
		Up:      []string{`ALTER TABLE audit_events ADD COLUMN key_id TEXT NOT NULL DEFAULT ''`},
		Down:    []string{`ALTER TABLE audit_events DROP COLUMN key_id`},
	},
	// One-time codes prove what card data cannot: NHI card data (card number,
	// name, ID) is printed or public, so a password is set only with a code sent
	// where a stranger cannot read it: the e-mail address the unit recorded when
	// it assigned the clerk (驗證碼), or the unit's e-mail on file with the
	// bureau, or a bureau officer who issues it from the console (開通碼).
	{
		Version: 9,
		Name:    "one-time codes and units' e-mail on file",
		Up: []string{
			`ALTER TABLE units ADD COLUMN email TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE one_time_codes (
				id {{ID}},
				purpose TEXT NOT NULL CHECK (purpose IN ('nhi_password', 'unit_register')),
				subject TEXT NOT NULL,
				unit_id BIGINT REFERENCES units(id),
				code_hash TEXT NOT NULL DEFAULT '',
				card_no TEXT NOT NULL DEFAULT '',
				card_name TEXT NOT NULL DEFAULT '',
				source TEXT NOT NULL CHECK (source IN ('email', 'assignment', 'staff', 'awaiting')),
				sent_to TEXT NOT NULL DEFAULT '',
				issued_by TEXT NOT NULL DEFAULT '',
				attempts INTEGER NOT NULL DEFAULT 0,
				created_at {{TS}} NOT NULL,
				expires_at {{TS}} NOT NULL,
				used_at {{TS}},
				revoked_at {{TS}},
				revoked_by TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE INDEX one_time_codes_subject ON one_time_codes (purpose, subject, created_at)`,
			`CREATE INDEX one_time_codes_unit ON one_time_codes (unit_id, created_at)`,
		},
		Down: []string{
			`DROP TABLE one_time_codes`,
			`ALTER TABLE units DROP COLUMN email`,
		},
	},
	{
		Version: 10,
		Name:    "throttles: failed attempts counted in the database per account, client and scope",
		Up: []string{
			// One row per key: the account, the client address, or the pair
			// of both, each within a scope. Keys are stored as SHA-256, so ID
			// numbers and user names do not sit here in the clear.
			// account_hash ties a pair row to its account row, so that a
			// success forgets both.
			`CREATE TABLE throttles (
				key_hash TEXT PRIMARY KEY,
				scope TEXT NOT NULL,
				kind TEXT NOT NULL CHECK (kind IN ('account','client','pair')),
				account_hash TEXT NOT NULL DEFAULT '',
				failures INTEGER NOT NULL CHECK (failures > 0),
				first_at {{TS}} NOT NULL,
				delayed_until {{TS}},
				expires_at {{TS}} NOT NULL
			)`,
			`CREATE INDEX throttles_account ON throttles (account_hash)`,
			`CREATE INDEX throttles_expires ON throttles (expires_at)`,
		},
		Down: []string{`DROP TABLE throttles`},
	},
	{
		Version: 11,
		Name:    "refusal_counts: refused requests audited per session or client address per minute",
		Up: []string{
			// One row per session ("s:" and the session id) or client address
			// ("ip:" and the address): the current minute and its count.
			`CREATE TABLE refusal_counts (
				key TEXT PRIMARY KEY,
				minute {{TS}} NOT NULL,
				n INTEGER NOT NULL
			)`,
			`CREATE INDEX refusal_counts_minute ON refusal_counts (minute)`,
		},
		Down: []string{`DROP TABLE refusal_counts`},
	},
	{
		Version: 12,
		Name:    "the six branches as reference data",
		Up:      branchInserts(),
		// Branches still referred to stay: a down migration must not lose data.
		Down: []string{`DELETE FROM branches WHERE code NOT IN (SELECT branch_code FROM units)
			AND code NOT IN (SELECT branch_code FROM staff WHERE branch_code IS NOT NULL)`},
	},
	// Staff administration: the first admin comes from the command line
	// (`multicert staff add`), later accounts from admins on the console. Every
	// change is audited; disabling an account or resetting its password ends
	// its sessions.
	{
		Version: 13,
		Name:    "staff: a password change forced by an admin",
		Up:      []string{`ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE`},
		Down:    []string{`ALTER TABLE staff DROP COLUMN must_change_password`},
	},
	// Indexes found with EXPLAIN on a national-size database (`multicert demo
	// --units 100000 --filings 2000000`). The unique indexes on a unit's
	// active account and active handlers are partial (WHERE status =
	// 'active'); SQLite cannot use a partial index for a query whose status is
	// a bound parameter, nor for one without the status, so a unit's page
	// scanned 180,000 handlers and 90,000 accounts.
	{
		Version: 14,
		Name:    "indexes for a unit's handlers and accounts",
		Up: []string{
			`CREATE INDEX handlers_unit ON handlers (unit_id, status)`,
			`CREATE INDEX unit_accounts_unit ON unit_accounts (unit_id, status)`,
		},
		Down: []string{
			`DROP INDEX handlers_unit`,
			`DROP INDEX unit_accounts_unit`,
		},
	},
	// Unit counts per branch (all, closed, without an active account) are kept
	// by triggers instead of counted: the console home counted 100,000 units
	// with a subquery each on every view (130 ms; seconds under load). The
	// triggers live in the database, so every writer — the demo's bulk
	// inserts, a second server instance, an operator's SQL — keeps them true.
	{
		Version: 15,
		Name:    "unit counts per branch kept by triggers",
		Up: []string{
			`CREATE TABLE unit_counts (
				branch_code TEXT PRIMARY KEY REFERENCES branches(code),
				total BIGINT NOT NULL DEFAULT 0,
				closed BIGINT NOT NULL DEFAULT 0,
				unregistered BIGINT NOT NULL DEFAULT 0
			)`,
			`INSERT INTO unit_counts (branch_code, total, closed, unregistered)
			SELECT b.code,
				(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code),
				(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code AND u.status = 'closed'),
				(SELECT COUNT(*) FROM units AS u WHERE u.branch_code = b.code
					AND NOT EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = u.id AND a.status = 'active'))
			FROM branches AS b`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER unit_counts_unit_insert AFTER INSERT ON units BEGIN
				UPDATE unit_counts SET total = total + 1,
					closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = NEW.branch_code;
			END`,
			`CREATE TRIGGER unit_counts_unit_delete AFTER DELETE ON units BEGIN
				UPDATE unit_counts SET total = total - 1,
					closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = OLD.branch_code;
			END`,
			`CREATE TRIGGER unit_counts_unit_update AFTER UPDATE OF status, branch_code ON units
			WHEN OLD.status <> NEW.status OR OLD.branch_code <> NEW.branch_code BEGIN
				UPDATE unit_counts SET total = total - 1,
					closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = OLD.branch_code;
				UPDATE unit_counts SET total = total + 1,
					closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
					unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
				WHERE branch_code = NEW.branch_code;
			END`,
			`CREATE TRIGGER unit_counts_account_insert AFTER INSERT ON unit_accounts WHEN NEW.status = 'active' BEGIN
				UPDATE unit_counts SET unregistered = unregistered - 1
				WHERE branch_code = (SELECT branch_code FROM units WHERE id = NEW.unit_id);
			END`,
			`CREATE TRIGGER unit_counts_account_update AFTER UPDATE OF status ON unit_accounts
			WHEN (OLD.status = 'active') <> (NEW.status = 'active') BEGIN
				UPDATE unit_counts SET unregistered = unregistered + (CASE WHEN NEW.status = 'active' THEN -1 ELSE 1 END)
				WHERE branch_code = (SELECT branch_code FROM units WHERE id = NEW.unit_id);
			END`,
			`CREATE TRIGGER unit_counts_account_delete AFTER DELETE ON unit_accounts WHEN OLD.status = 'active' BEGIN
				UPDATE unit_counts SET unregistered = unregistered + 1
				WHERE branch_code = (SELECT branch_code FROM units WHERE id = OLD.unit_id);
			END`,
		},
		UpPostgres: []string{
			`CREATE FUNCTION unit_counts_units() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP IN ('UPDATE', 'DELETE') THEN
					UPDATE unit_counts SET total = total - 1,
						closed = closed - (CASE WHEN OLD.status = 'closed' THEN 1 ELSE 0 END),
						unregistered = unregistered - (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = OLD.id AND a.status = 'active') THEN 0 ELSE 1 END)
					WHERE branch_code = OLD.branch_code;
				END IF;
				IF TG_OP IN ('UPDATE', 'INSERT') THEN
					UPDATE unit_counts SET total = total + 1,
						closed = closed + (CASE WHEN NEW.status = 'closed' THEN 1 ELSE 0 END),
						unregistered = unregistered + (CASE WHEN EXISTS (SELECT 1 FROM unit_accounts AS a WHERE a.unit_id = NEW.id AND a.status = 'active') THEN 0 ELSE 1 END)
					WHERE branch_code = NEW.branch_code;
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER unit_counts_unit_insert AFTER INSERT OR DELETE ON units FOR EACH ROW EXECUTE FUNCTION unit_counts_units()`,
			`CREATE TRIGGER unit_counts_unit_update AFTER UPDATE OF status, branch_code ON units FOR EACH ROW
				WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.branch_code IS DISTINCT FROM NEW.branch_code)
				EXECUTE FUNCTION unit_counts_units()`,
			`CREATE FUNCTION unit_counts_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE d BIGINT := 0; uid BIGINT;
			BEGIN
				IF TG_OP = 'INSERT' THEN
					uid := NEW.unit_id;
					IF NEW.status = 'active' THEN d := -1; END IF;
				ELSIF TG_OP = 'DELETE' THEN
					uid := OLD.unit_id;
					IF OLD.status = 'active' THEN d := 1; END IF;
				ELSE
					uid := NEW.unit_id;
					IF OLD.status = 'active' AND NEW.status <> 'active' THEN d := 1;
					ELSIF OLD.status <> 'active' AND NEW.status = 'active' THEN d := -1; END IF;
				END IF;
				IF d <> 0 THEN
					UPDATE unit_counts SET unregistered = unregistered + d WHERE branch_code = (SELECT branch_code FROM units WHERE id = uid);
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER unit_counts_account AFTER INSERT OR UPDATE OF status OR DELETE ON unit_accounts FOR EACH ROW EXECUTE FUNCTION unit_counts_accounts()`,
		},
		DownSQLite: []string{
			`DROP TRIGGER unit_counts_unit_insert`, `DROP TRIGGER unit_counts_unit_delete`, `DROP TRIGGER unit_counts_unit_update`,
			`DROP TRIGGER unit_counts_account_insert`, `DROP TRIGGER unit_counts_account_update`, `DROP TRIGGER unit_counts_account_delete`,
		},
		DownPostgres: []string{
			`DROP TRIGGER unit_counts_unit_insert ON units`, `DROP TRIGGER unit_counts_unit_update ON units`,
			`DROP TRIGGER unit_counts_account ON unit_accounts`,
			`DROP FUNCTION unit_counts_units()`, `DROP FUNCTION unit_counts_accounts()`,
		},
		Down: []string{`DROP TABLE unit_counts`},
	},
	// Migration 16 renames the unit's 承辦人 from "handler" to "clerk" in the
	// schema, so that "handler" means only the HTTP layer: the table, its
	// indexes, the columns that point at it, the session kind and the roles.
	// Sessions of clerks end (they log in again); audit events keep the codes
	// they were written with, since each is hashed into the chain, and the
	// actor kind "handler" stays allowed for them (see AuditAction.Former).
	{
		Version: 16,
		Name:    "the unit's 承辦人 are clerks: table, columns, session kind and roles renamed",
		Up: []string{
			`DELETE FROM sessions WHERE kind = 'handler'`,
			`ALTER TABLE handlers RENAME TO clerks`,
			`DROP INDEX handlers_one_active`,
			`DROP INDEX handlers_id_no`,
			`DROP INDEX handlers_unit`,
			`CREATE UNIQUE INDEX clerks_one_active ON clerks (unit_id, id_no) WHERE status = 'active'`,
			`CREATE INDEX clerks_id_no ON clerks (id_no)`,
			`CREATE INDEX clerks_unit ON clerks (unit_id, status)`,
			`ALTER TABLE sessions RENAME COLUMN handler_id TO clerk_id`,
			`DROP INDEX sessions_handler`,
			`CREATE INDEX sessions_clerk ON sessions (clerk_id)`,
			`ALTER TABLE filings RENAME COLUMN handler_id TO clerk_id`,
			`DROP INDEX filings_handler`,
			`CREATE INDEX filings_clerk ON filings (clerk_id, filed_on)`,
			`ALTER TABLE filing_changes RENAME COLUMN handler_id TO clerk_id`,
		},
		UpPostgres: []string{
			`ALTER INDEX handlers_pkey RENAME TO clerks_pkey`,
			`ALTER SEQUENCE handlers_id_seq RENAME TO clerks_id_seq`,
			dropChecksMentioning("sessions", "handler"),
			`ALTER TABLE sessions ADD CONSTRAINT sessions_kind_check CHECK (kind IN ('anonymous','staff','unit','clerk'))`,
			`ALTER TABLE sessions ADD CONSTRAINT sessions_unit_check CHECK ((kind IN ('unit','clerk')) = (unit_id IS NOT NULL))`,
			`ALTER TABLE sessions ADD CONSTRAINT sessions_clerk_check CHECK ((kind = 'clerk') = (clerk_id IS NOT NULL))`,
			dropChecksMentioning("audit_events", "handler"),
			`ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
				CHECK (actor_kind IN ('system','anonymous','staff','unit','clerk','handler'))`,
		},
		EditSQLite: []SchemaEdit{
			{Table: "sessions", Old: `kind IN ('anonymous','staff','unit','handler')`, New: `kind IN ('anonymous','staff','unit','clerk')`},
			{Table: "sessions", Old: `(kind IN ('unit','handler'))`, New: `(kind IN ('unit','clerk'))`},
			{Table: "sessions", Old: `(kind = 'handler')`, New: `(kind = 'clerk')`},
			{Table: "audit_events", Old: `'unit','handler'))`, New: `'unit','clerk','handler'))`, Keep: true},
		},
		DownPostgres: []string{
			`DELETE FROM sessions WHERE kind = 'clerk'`,
			dropChecksMentioning("sessions", "clerk"),
			`ALTER TABLE sessions ADD CONSTRAINT sessions_kind_check CHECK (kind IN ('anonymous','staff','unit','handler'))`,
			`ALTER TABLE sessions ADD CONSTRAINT sessions_unit_check CHECK ((kind IN ('unit','handler')) = (unit_id IS NOT NULL))`,
			`ALTER TABLE sessions ADD CONSTRAINT sessions_handler_check CHECK ((kind = 'handler') = (clerk_id IS NOT NULL))`,
			`ALTER SEQUENCE clerks_id_seq RENAME TO handlers_id_seq`,
			`ALTER INDEX clerks_pkey RENAME TO handlers_pkey`,
		},
		Down: []string{
			`DELETE FROM sessions WHERE kind = 'clerk'`,
			`ALTER TABLE filing_changes RENAME COLUMN clerk_id TO handler_id`,
			`DROP INDEX filings_clerk`,
			`ALTER TABLE filings RENAME COLUMN clerk_id TO handler_id`,
			`CREATE INDEX filings_handler ON filings (handler_id, filed_on)`,
			`DROP INDEX sessions_clerk`,
			`ALTER TABLE sessions RENAME COLUMN clerk_id TO handler_id`,
			`CREATE INDEX sessions_handler ON sessions (handler_id)`,
			`DROP INDEX clerks_one_active`,
			`DROP INDEX clerks_id_no`,
			`DROP INDEX clerks_unit`,
			`ALTER TABLE clerks RENAME TO handlers`,
			`CREATE UNIQUE INDEX handlers_one_active ON handlers (unit_id, id_no) WHERE status = 'active'`,
			`CREATE INDEX handlers_id_no ON handlers (id_no)`,
			`CREATE INDEX handlers_unit ON handlers (unit_id, status)`,
		},
	},
	// CRLs at national scale: MOICA's lists name hundreds of thousands of
	// serials (about 20 MB), too many to parse at start in every web instance
	// or to hold in each one's memory. A background job (CRLLoader, run by the
	// worker) checks each configured CRL's signature and stores it here; a
	// login looks its serial up by the primary key. crl_lists has one row per
	// CA (issuer_key is certlogin.IssuerID: the CA's name and key), with the
	// CRL's dates and number; crl_revoked holds its serials in lower-case
	// hexadecimal, as certlogin.IssuerSerial writes them.
	//
	// crl_revoked is created per dialect: on SQLite WITHOUT ROWID, so that the
	// primary key is the table and a lookup reads one B-tree (and the half
	// million rows are not stored twice).
	{
		Version: 17,
		Name:    "CRLs stored by a background job and looked up at login",
		Up: []string{
			`CREATE TABLE crl_lists (
				id {{ID}},
				issuer_key TEXT NOT NULL UNIQUE,
				issuer TEXT NOT NULL,
				number TEXT NOT NULL DEFAULT '',
				this_update {{TS}} NOT NULL,
				next_update {{TS}},
				serials BIGINT NOT NULL DEFAULT 0,
				fetched_at {{TS}} NOT NULL,
				source TEXT NOT NULL
			)`,
		},
		UpSQLite: []string{
			`CREATE TABLE crl_revoked (
				list_id INTEGER NOT NULL REFERENCES crl_lists(id),
				serial TEXT NOT NULL,
				revoked_at TIMESTAMP NOT NULL,
				reason INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (list_id, serial)
			) WITHOUT ROWID`,
		},
		UpPostgres: []string{
			`CREATE TABLE crl_revoked (
				list_id BIGINT NOT NULL REFERENCES crl_lists(id),
				serial TEXT NOT NULL,
				revoked_at TIMESTAMPTZ NOT NULL,
				reason INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (list_id, serial)
			)`,
		},
		Down: []string{
			`DROP TABLE crl_revoked`,
			`DROP TABLE crl_lists`,
		},
	},
	{
		Version: 18,
		Name:    "filings: the clerk's confirmation of code 2 (dependent's age) with a reason",
		Up: []string{
			`ALTER TABLE filings ADD COLUMN age_confirm TEXT NOT NULL DEFAULT '' CHECK (age_confirm IN ('', 'adopted', 'step', 'other'))`,
			`ALTER TABLE filings ADD COLUMN age_confirm_note TEXT NOT NULL DEFAULT '' CHECK (length(age_confirm_note) <= 500)`,
		},
		Down: []string{
			`ALTER TABLE filings DROP COLUMN age_confirm_note`,
			`ALTER TABLE filings DROP COLUMN age_confirm`,
		},
	},
	{
		Version: 19,
		Name:    "公告欄: announcements published by a branch or head office, and when each unit's reader last looked",
		Up: []string{
			`CREATE TABLE announcements (
				id {{ID}},
				branch_code TEXT REFERENCES branches(code),
				audience_branch TEXT REFERENCES branches(code),
				title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
				body TEXT NOT NULL CHECK (length(body) <= 5000),
				important BOOLEAN NOT NULL DEFAULT FALSE,
				starts_on TEXT NOT NULL CHECK (length(starts_on) = 10),
				ends_on TEXT NOT NULL CHECK (length(ends_on) = 10),
				created_by BIGINT NOT NULL REFERENCES staff(id),
				created_at {{TS}} NOT NULL,
				updated_by BIGINT NOT NULL REFERENCES staff(id),
				updated_at {{TS}} NOT NULL,
				withdrawn_at {{TS}},
				withdrawn_by BIGINT REFERENCES staff(id),
				version BIGINT NOT NULL DEFAULT 1,
				CHECK (ends_on >= starts_on)
			)`,
			`CREATE INDEX announcements_current ON announcements (ends_on, starts_on)`,
			`CREATE INDEX announcements_branch ON announcements (branch_code, id)`,
			`CREATE TABLE announcement_reads (
				unit_id BIGINT NOT NULL REFERENCES units(id),
				clerk_id BIGINT NOT NULL DEFAULT 0,
				seen_at {{TS}} NOT NULL,
				PRIMARY KEY (unit_id, clerk_id)
			)`,
		},
		Down: []string{
			`DROP TABLE announcement_reads`,
			`DROP TABLE announcements`,
		},
	},
	// A filing with error codes, or one whose effective date has not come
	// (預辦), can be corrected (補正: a new filing that corrects_id links to
	// the original) or withdrawn; the original stays, marked voided, and
	// its coverage is undone. corrects_id has no REFERENCES so SQLite can
	// drop it again; its unique index stops a second correction of the
	// same filing. coverage_roster serves the roster as of a date (unit,
	// family order, since/until read from the index); it covers
	// coverage_insured, which it replaces. filings_unit_insured finds a
	// page's insured-amount changes.
	{
		Version: 20,
		Name:    "filings: correction (補正) and withdrawal (撤回) of filings; the insured roster's indexes",
		Up: []string{
			`ALTER TABLE filings ADD COLUMN voided TEXT NOT NULL DEFAULT '' CHECK (voided IN ('', 'corrected', 'withdrawn', 'deleted'))`,
			`ALTER TABLE filings ADD COLUMN voided_at {{TS}}`,
			`ALTER TABLE filings ADD COLUMN voided_by TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE filings ADD COLUMN void_reason TEXT NOT NULL DEFAULT '' CHECK (length(void_reason) <= 500)`,
			`ALTER TABLE filings ADD COLUMN corrects_id BIGINT`,
			`CREATE UNIQUE INDEX filings_corrects ON filings (corrects_id) WHERE corrects_id IS NOT NULL`,
			`CREATE INDEX filings_unit_insured ON filings (unit_id, insured_id)`,
			`CREATE INDEX coverage_roster ON coverage (unit_id, insured_id, person_id, since, until)`,
			`DROP INDEX coverage_insured`,
		},
		Down: []string{
			`CREATE INDEX coverage_insured ON coverage (unit_id, insured_id)`,
			`DROP INDEX coverage_roster`,
			`DROP INDEX filings_unit_insured`,
			`DROP INDEX filings_corrects`,
			`ALTER TABLE filings DROP COLUMN corrects_id`,
			`ALTER TABLE filings DROP COLUMN void_reason`,
			`ALTER TABLE filings DROP COLUMN voided_by`,
			`ALTER TABLE filings DROP COLUMN voided_at`,
			`ALTER TABLE filings DROP COLUMN voided`,
		},
	},
	// Unit search by part of the name read every unit's name (a LIKE
	// '%…%' scan of 100,000 rows per keystroke). unit_name_grams holds each
	// name's two-character pieces (bigrams, as written), kept by triggers
	// whoever writes units.name, so a search for two characters or more
	// looks its bigrams up and checks LIKE only on the units that have them
	// all. gram_positions (1…500) lets SQLite's triggers, which cannot use
	// WITH RECURSIVE, walk a name.
	{
		Version: 22,
		Name:    "unit search by name: bigrams of unit names kept by triggers",
		Up: []string{
			`CREATE TABLE gram_positions (i INTEGER PRIMARY KEY)`,
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
			INSERT INTO gram_positions (i) SELECT i FROM n`,
			`CREATE TABLE unit_name_grams (
				gram TEXT NOT NULL,
				unit_id BIGINT NOT NULL,
				PRIMARY KEY (gram, unit_id)
			)`,
			`CREATE INDEX unit_name_grams_unit ON unit_name_grams (unit_id)`,
			`INSERT INTO unit_name_grams (gram, unit_id)
			SELECT DISTINCT substr(u.name, p.i, 2), u.id FROM units AS u JOIN gram_positions AS p ON p.i < length(u.name)`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER unit_name_grams_insert AFTER INSERT ON units BEGIN
				INSERT INTO unit_name_grams (gram, unit_id)
				SELECT DISTINCT substr(NEW.name, p.i, 2), NEW.id FROM gram_positions AS p WHERE p.i < length(NEW.name);
			END`,
			`CREATE TRIGGER unit_name_grams_update AFTER UPDATE OF name ON units WHEN OLD.name <> NEW.name BEGIN
				DELETE FROM unit_name_grams WHERE unit_id = OLD.id;
				INSERT INTO unit_name_grams (gram, unit_id)
				SELECT DISTINCT substr(NEW.name, p.i, 2), NEW.id FROM gram_positions AS p WHERE p.i < length(NEW.name);
			END`,
			`CREATE TRIGGER unit_name_grams_delete AFTER DELETE ON units BEGIN
				DELETE FROM unit_name_grams WHERE unit_id = OLD.id;
			END`,
		},
		UpPostgres: []string{
			`CREATE FUNCTION unit_name_grams_sync() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				IF TG_OP IN ('UPDATE', 'DELETE') THEN
					DELETE FROM unit_name_grams WHERE unit_id = OLD.id;
				END IF;
				IF TG_OP IN ('INSERT', 'UPDATE') THEN
					INSERT INTO unit_name_grams (gram, unit_id)
					SELECT DISTINCT substr(NEW.name, p.i, 2), NEW.id FROM gram_positions AS p WHERE p.i < length(NEW.name);
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER unit_name_grams_sync AFTER INSERT OR DELETE OR UPDATE OF name ON units
			FOR EACH ROW EXECUTE FUNCTION unit_name_grams_sync()`,
		},
		DownSQLite: []string{
			`DROP TRIGGER unit_name_grams_delete`,
			`DROP TRIGGER unit_name_grams_update`,
			`DROP TRIGGER unit_name_grams_insert`,
		},
		DownPostgres: []string{
			`DROP TRIGGER unit_name_grams_sync ON units`,
			`DROP FUNCTION unit_name_grams_sync()`,
		},
		Down: []string{
			`DROP TABLE unit_name_grams`,
			`DROP TABLE gram_positions`,
		},
	},
	// Logins begun from one address are counted (NewPreLoginSession).
	{
		Version: 23,
		Name:    "sessions: logins begun per address",
		Up:      []string{`CREATE INDEX sessions_anonymous_ip ON sessions (client_ip, created_at) WHERE kind = 'anonymous'`},
		Down:    []string{`DROP INDEX sessions_anonymous_ip`},
	},
	// A login that matched a person assigned by several units proves the
	// person before they choose the unit: the anonymous session carries
	// one of their assignments until then (ChooseClerkUnit).
	{
		Version: 24,
		Name:    "sessions: a proven clerk choosing a unit",
		Up: []string{
			`ALTER TABLE sessions ADD COLUMN choosing_clerk_id BIGINT REFERENCES clerks(id) ON DELETE CASCADE
				CHECK (choosing_clerk_id IS NULL OR kind = 'anonymous')`,
		},
		Down: []string{`ALTER TABLE sessions DROP COLUMN choosing_clerk_id`},
	},
	// Unit certificates come from four CAs (certlogin.Kind): the 工商憑證
	// carries the 統一編號 (units.ban), the 政府憑證 an agency's identifier,
	// the 組織及團體憑證 an organization's and the 醫事憑證 the 醫事機構代碼.
	// A unit holds the identifier of each kind it may log in with, each
	// naming one unit only; an account records the kind it was registered
	// with, and a login must come with a card of that kind.
	{
		Version: 25,
		Name:    "unit certificates of four kinds: the units' identifiers per kind, the account's kind",
		Up: []string{
			`ALTER TABLE units ADD COLUMN agency_code TEXT CHECK (agency_code IS NULL OR (length(agency_code) BETWEEN 1 AND 64))`,
			`ALTER TABLE units ADD COLUMN org_code TEXT CHECK (org_code IS NULL OR (length(org_code) BETWEEN 1 AND 64))`,
			`ALTER TABLE units ADD COLUMN medical_code TEXT CHECK (medical_code IS NULL OR length(medical_code) = 10)`,
			`CREATE UNIQUE INDEX units_agency_code ON units (agency_code) WHERE agency_code IS NOT NULL`,
			`CREATE UNIQUE INDEX units_org_code ON units (org_code) WHERE org_code IS NOT NULL`,
			`CREATE UNIQUE INDEX units_medical_code ON units (medical_code) WHERE medical_code IS NOT NULL`,
			`ALTER TABLE unit_accounts ADD COLUMN cert_kind TEXT CHECK (cert_kind IS NULL OR cert_kind IN ('moeaca', 'gca', 'xca', 'hca'))`,
			`UPDATE unit_accounts SET cert_kind = 'moeaca' WHERE reg_type = 'business_cert'`,
		},
		Down: []string{
			`ALTER TABLE unit_accounts DROP COLUMN cert_kind`,
			`DROP INDEX units_medical_code`,
			`DROP INDEX units_org_code`,
			`DROP INDEX units_agency_code`,
			`ALTER TABLE units DROP COLUMN medical_code`,
			`ALTER TABLE units DROP COLUMN org_code`,
			`ALTER TABLE units DROP COLUMN agency_code`,
		},
	},
	// 部分工時 (issue 13.7): a grade table may list lower amounts for
	// part-time employees (grade_tables.part_time, comma-separated like
	// grades, '' for none), which only a filing marked part_time may
	// carry. The mark needs an amount: dependents and withdrawals have none.
	{
		Version: 27,
		Name:    "part-time (部分工時): the part-time amounts of a grade table and the filings marked part-time",
		Up: []string{
			`ALTER TABLE grade_tables ADD COLUMN part_time TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE filings ADD COLUMN part_time BOOLEAN NOT NULL DEFAULT FALSE CHECK (NOT part_time OR amount > 0)`,
		},
		Down: []string{
			`ALTER TABLE filings DROP COLUMN part_time`,
			`ALTER TABLE grade_tables DROP COLUMN part_time`,
		},
	},
	// Page speed at national size (issue 12.2), indexes found with EXPLAIN
	// on the pages' queries:
	//   - a clerk's every request counts the units that assigned the person
	//     of its card (CountClerkUnits, for 「切換單位」), and a certificate
	//     login looks the card up: both read all 180,000 clerks (100 ms);
	//   - the unit page's newest filings sorted all of the unit's filings
	//     by filed_at;
	//   - the unit page's deregistrations read the whole table;
	//   - head office's case queue and its count, without a branch, read
	//     every case ever opened;
	//   - the 工作台's count of sampled decisions without a verdict read
	//     every item ever sampled.
	{
		Version: 29,
		Name:    "page speed: indexes found with EXPLAIN",
		Up: []string{
			`CREATE INDEX clerks_card ON clerks (card_serial)`,
			`CREATE INDEX filings_unit_filed_at ON filings (unit_id, filed_at, id)`,
			`CREATE INDEX deregistrations_unit ON deregistrations (unit_id, requested_at)`,
			`CREATE INDEX cases_status ON cases (status, opened_at)`,
			`CREATE INDEX sample_items_open ON sample_items (sample_id) WHERE verdict IS NULL`,
		},
		Down: []string{
			`DROP INDEX sample_items_open`,
			`DROP INDEX cases_status`,
			`DROP INDEX deregistrations_unit`,
			`DROP INDEX filings_unit_filed_at`,
			`DROP INDEX clerks_card`,
		},
	},
	// The previews of 媒體上傳 wait in the database, not in one process's
	// memory, so that the confirmation may reach another instance
	// (KeepUploadPreview, TakeUploadPreview).
	{
		Version: 30,
		Name:    "upload previews",
		Up: []string{
			`CREATE TABLE upload_previews (
				token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
				unit_id BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
				clerk_id BIGINT NOT NULL, -- 0: the unit itself (its certificate or NHI card)
				body {{BLOB}} NOT NULL,
				expires_at {{TS}} NOT NULL,
				UNIQUE (unit_id, clerk_id)
			)`,
			`CREATE INDEX upload_previews_expires ON upload_previews (expires_at)`,
		},
		Down: []string{`DROP TABLE upload_previews`},
	},
	// Issue 12 at national size (the demo's year of work: 30,000 phone
	// cases, 20,000 change requests, 2.5 million audit events per 100,000
	// units), from EXPLAIN:
	//   - the case queue (unresolved cases, oldest first, 20 a page) joined
	//     and sorted every open case of the scope to show 20: partial
	//     indexes of the unresolved cases in queue order, whole and per
	//     branch, give the page in order and count it from the index;
	//   - a branch auditor's every view of the audit log counted the
	//     branch's events — those recorded for the branch or about its
	//     units, a quarter of millions of events — with an OR that no index
	//     serves (seconds per view). The count per branch is kept by
	//     triggers instead, as unit_counts is: events are only ever
	//     inserted (the append-only triggers), and a writer already holds
	//     the chain's head when it inserts, so the counter adds no waiting.
	//     The scope reads the unit's branch now, so moving a unit to
	//     another branch moves the count of its events with it.
	{
		Version: 31,
		Name:    "national size: the case queue's partial indexes; audit events counted per branch by triggers",
		Up: []string{
			`CREATE INDEX cases_unresolved ON cases (opened_at, id) WHERE status IN ('open', 'waiting')`,
			`CREATE INDEX cases_unresolved_branch ON cases (branch_code, opened_at, id) WHERE status IN ('open', 'waiting')`,
			`CREATE TABLE audit_counts (
				branch_code TEXT PRIMARY KEY,
				events BIGINT NOT NULL DEFAULT 0 CHECK (events >= 0)
			)`,
			`INSERT INTO audit_counts (branch_code, events)
			SELECT b, COUNT(*) FROM (
				SELECT e.branch_code AS b FROM audit_events AS e WHERE e.branch_code IS NOT NULL
				UNION ALL
				SELECT u.branch_code AS b FROM audit_events AS e JOIN units AS u ON u.id = e.unit_id
				WHERE e.branch_code IS NULL OR e.branch_code <> u.branch_code
			) AS x GROUP BY b`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_events BEGIN
				INSERT INTO audit_counts (branch_code, events)
				SELECT NEW.branch_code, 1 WHERE NEW.branch_code IS NOT NULL
				ON CONFLICT (branch_code) DO UPDATE SET events = events + 1;
				INSERT INTO audit_counts (branch_code, events)
				SELECT u.branch_code, 1 FROM units AS u
				WHERE u.id = NEW.unit_id AND (NEW.branch_code IS NULL OR NEW.branch_code <> u.branch_code)
				ON CONFLICT (branch_code) DO UPDATE SET events = events + 1;
			END`,
			`CREATE TRIGGER audit_counts_unit_branch AFTER UPDATE OF branch_code ON units
			WHEN OLD.branch_code <> NEW.branch_code BEGIN
				UPDATE audit_counts SET events = events - (SELECT COUNT(*) FROM audit_events AS e
					WHERE e.unit_id = OLD.id AND (e.branch_code IS NULL OR e.branch_code <> OLD.branch_code))
				WHERE branch_code = OLD.branch_code;
				INSERT INTO audit_counts (branch_code, events)
				SELECT NEW.branch_code, COUNT(*) FROM audit_events AS e
				WHERE e.unit_id = NEW.id AND (e.branch_code IS NULL OR e.branch_code <> NEW.branch_code)
				ON CONFLICT (branch_code) DO UPDATE SET events = events + excluded.events;
			END`,
		},
		UpPostgres: []string{
			// One statement per INSERT, over its transition table: the demo
			// and imports insert thousands of events at once.
			`CREATE FUNCTION audit_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				INSERT INTO audit_counts (branch_code, events)
				SELECT b, COUNT(*) FROM (
					SELECT e.branch_code AS b FROM new_events AS e WHERE e.branch_code IS NOT NULL
					UNION ALL
					SELECT u.branch_code AS b FROM new_events AS e JOIN units AS u ON u.id = e.unit_id
					WHERE e.branch_code IS NULL OR e.branch_code <> u.branch_code
				) AS x GROUP BY b
				ON CONFLICT (branch_code) DO UPDATE SET events = audit_counts.events + EXCLUDED.events;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_events
			REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_insert()`,
			`CREATE FUNCTION audit_counts_unit_branch() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				UPDATE audit_counts SET events = events - (SELECT COUNT(*) FROM audit_events AS e
					WHERE e.unit_id = OLD.id AND (e.branch_code IS NULL OR e.branch_code <> OLD.branch_code))
				WHERE branch_code = OLD.branch_code;
				INSERT INTO audit_counts (branch_code, events)
				SELECT NEW.branch_code, COUNT(*) FROM audit_events AS e
				WHERE e.unit_id = NEW.id AND (e.branch_code IS NULL OR e.branch_code <> NEW.branch_code)
				ON CONFLICT (branch_code) DO UPDATE SET events = audit_counts.events + EXCLUDED.events;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER audit_counts_unit_branch AFTER UPDATE OF branch_code ON units FOR EACH ROW
				WHEN (OLD.branch_code IS DISTINCT FROM NEW.branch_code)
				EXECUTE FUNCTION audit_counts_unit_branch()`,
		},
		DownSQLite: []string{`DROP TRIGGER audit_counts_unit_branch`, `DROP TRIGGER audit_counts_insert`},
		DownPostgres: []string{
			`DROP TRIGGER audit_counts_unit_branch ON units`, `DROP TRIGGER audit_counts_insert ON audit_events`,
			`DROP FUNCTION audit_counts_unit_branch()`, `DROP FUNCTION audit_counts_insert()`,
		},
		Down: []string{`DROP TABLE audit_counts`, `DROP INDEX cases_unresolved_branch`, `DROP INDEX cases_unresolved`},
	},
	{
		// The pending change requests with their units, from the index
		// alone: counted on every console home page (工作台) and by the
		// review queue. change_requests_status (status, submitted_at)
		// found them but read each request's row for its unit (7 ms for
		// head office's 1,500 at national size); a branch's count walked
		// its 27,000 units instead.
		Version: 32,
		Name:    "work counts: pending change requests by unit",
		Up:      []string{`CREATE INDEX change_requests_status_unit ON change_requests (status, unit_id)`},
		Down:    []string{`DROP INDEX change_requests_status_unit`},
	},
	{
		// The 工作台's pending reviews and approvals per branch, kept by
		// triggers as unit_counts and audit_counts are. Counted, a
		// branch's pending change requests were joined to its units: on
		// PostgreSQL a hash join over the branch's 27,000 units (87 ms a
		// console home page, 89 pages a second for 臺北 staff), on
		// SQLite 1,500 lookups of units. Every change of a request's or
		// deregistration's status is audited in its transaction, so its
		// writer already holds the audit chain's head: the counter row adds
		// no waiting. A unit moved to another branch takes its pending
		// items with it. (A request's unit never changes.)
		Version: 33,
		Name:    "work counts: pending change requests and deregistrations per branch, kept by triggers",
		Up: []string{
			`CREATE TABLE work_counts (
				branch_code TEXT PRIMARY KEY REFERENCES branches(code),
				reviews BIGINT NOT NULL DEFAULT 0 CHECK (reviews >= 0),
				approvals BIGINT NOT NULL DEFAULT 0 CHECK (approvals >= 0)
			)`,
			`INSERT INTO work_counts (branch_code, reviews, approvals)
			SELECT b.code,
				(SELECT COUNT(*) FROM change_requests AS r JOIN units AS u ON u.id = r.unit_id
					WHERE r.status = 'pending' AND u.branch_code = b.code),
				(SELECT COUNT(*) FROM deregistrations AS d JOIN units AS u ON u.id = d.unit_id
					WHERE d.status = 'pending' AND u.branch_code = b.code)
			FROM branches AS b`,
		},
		UpSQLite: []string{
			`CREATE TRIGGER work_counts_request_insert AFTER INSERT ON change_requests
			WHEN NEW.status = 'pending' BEGIN
				UPDATE work_counts SET reviews = reviews + 1
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = NEW.unit_id);
			END`,
			`CREATE TRIGGER work_counts_request_status AFTER UPDATE OF status ON change_requests
			WHEN (OLD.status = 'pending') <> (NEW.status = 'pending') BEGIN
				UPDATE work_counts SET reviews = reviews + (CASE WHEN NEW.status = 'pending' THEN 1 ELSE -1 END)
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = NEW.unit_id);
			END`,
			`CREATE TRIGGER work_counts_request_delete AFTER DELETE ON change_requests
			WHEN OLD.status = 'pending' BEGIN
				UPDATE work_counts SET reviews = reviews - 1
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = OLD.unit_id);
			END`,
			`CREATE TRIGGER work_counts_dereg_insert AFTER INSERT ON deregistrations
			WHEN NEW.status = 'pending' BEGIN
				UPDATE work_counts SET approvals = approvals + 1
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = NEW.unit_id);
			END`,
			`CREATE TRIGGER work_counts_dereg_status AFTER UPDATE OF status ON deregistrations
			WHEN (OLD.status = 'pending') <> (NEW.status = 'pending') BEGIN
				UPDATE work_counts SET approvals = approvals + (CASE WHEN NEW.status = 'pending' THEN 1 ELSE -1 END)
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = NEW.unit_id);
			END`,
			`CREATE TRIGGER work_counts_dereg_delete AFTER DELETE ON deregistrations
			WHEN OLD.status = 'pending' BEGIN
				UPDATE work_counts SET approvals = approvals - 1
				WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = OLD.unit_id);
			END`,
			`CREATE TRIGGER work_counts_unit_branch AFTER UPDATE OF branch_code ON units
			WHEN OLD.branch_code <> NEW.branch_code BEGIN
				UPDATE work_counts SET
					reviews = reviews - (SELECT COUNT(*) FROM change_requests WHERE unit_id = OLD.id AND status = 'pending'),
					approvals = approvals - (SELECT COUNT(*) FROM deregistrations WHERE unit_id = OLD.id AND status = 'pending')
				WHERE branch_code = OLD.branch_code;
				UPDATE work_counts SET
					reviews = reviews + (SELECT COUNT(*) FROM change_requests WHERE unit_id = NEW.id AND status = 'pending'),
					approvals = approvals + (SELECT COUNT(*) FROM deregistrations WHERE unit_id = NEW.id AND status = 'pending')
				WHERE branch_code = NEW.branch_code;
			END`,
		},
		UpPostgres: []string{
			// One function for both tables (TG_TABLE_NAME tells which
			// counter), per row: requests are written one at a time.
			`CREATE FUNCTION work_counts_item() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE
				delta BIGINT := 0;
				unit BIGINT;
			BEGIN
				IF TG_OP = 'INSERT' THEN
					unit := NEW.unit_id;
					IF NEW.status = 'pending' THEN delta := 1; END IF;
				ELSIF TG_OP = 'DELETE' THEN
					unit := OLD.unit_id;
					IF OLD.status = 'pending' THEN delta := -1; END IF;
				ELSE
					unit := NEW.unit_id;
					IF NEW.status = 'pending' AND OLD.status <> 'pending' THEN delta := 1;
					ELSIF OLD.status = 'pending' AND NEW.status <> 'pending' THEN delta := -1; END IF;
				END IF;
				IF delta <> 0 THEN
					IF TG_TABLE_NAME = 'change_requests' THEN
						UPDATE work_counts SET reviews = reviews + delta
						WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = unit);
					ELSE
						UPDATE work_counts SET approvals = approvals + delta
						WHERE branch_code = (SELECT u.branch_code FROM units AS u WHERE u.id = unit);
					END IF;
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER work_counts_request AFTER INSERT OR DELETE OR UPDATE OF status ON change_requests
				FOR EACH ROW EXECUTE FUNCTION work_counts_item()`,
			`CREATE TRIGGER work_counts_dereg AFTER INSERT OR DELETE OR UPDATE OF status ON deregistrations
				FOR EACH ROW EXECUTE FUNCTION work_counts_item()`,
			`CREATE FUNCTION work_counts_unit_branch() RETURNS trigger LANGUAGE plpgsql AS $$
			DECLARE
				r BIGINT;
				a BIGINT;
			BEGIN
				SELECT COUNT(*) INTO r FROM change_requests WHERE unit_id = NEW.id AND status = 'pending';
				SELECT COUNT(*) INTO a FROM deregistrations WHERE unit_id = NEW.id AND status = 'pending';
				IF r <> 0 OR a <> 0 THEN
					UPDATE work_counts SET reviews = reviews - r, approvals = approvals - a WHERE branch_code = OLD.branch_code;
					UPDATE work_counts SET reviews = reviews + r, approvals = approvals + a WHERE branch_code = NEW.branch_code;
				END IF;
				RETURN NULL;
			END $$`,
			`CREATE TRIGGER work_counts_unit_branch AFTER UPDATE OF branch_code ON units FOR EACH ROW
				WHEN (OLD.branch_code IS DISTINCT FROM NEW.branch_code)
				EXECUTE FUNCTION work_counts_unit_branch()`,
		},
		DownSQLite: []string{
			`DROP TRIGGER work_counts_unit_branch`,
			`DROP TRIGGER work_counts_dereg_delete`, `DROP TRIGGER work_counts_dereg_status`, `DROP TRIGGER work_counts_dereg_insert`,
			`DROP TRIGGER work_counts_request_delete`, `DROP TRIGGER work_counts_request_status`, `DROP TRIGGER work_counts_request_insert`,
		},
		DownPostgres: []string{
			`DROP TRIGGER work_counts_unit_branch ON units`, `DROP FUNCTION work_counts_unit_branch()`,
			`DROP TRIGGER work_counts_dereg ON deregistrations`, `DROP TRIGGER work_counts_request ON change_requests`,
			`DROP FUNCTION work_counts_item()`,
		},
		Down: []string{`DROP TABLE work_counts`},
	},
}
