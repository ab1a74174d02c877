package models

// genesisHash is the prev_hash of the first audit event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// migrations is the ordered schema history. Never edit an applied migration:
// add a new one.
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
}
