package models

import (
	"time"

	"github.com/uptrace/bun"
)

// Unit statuses.
const (
	UnitActive = "active"
	UnitClosed = "closed" // 暫時關閉: login says 洽詢承辦人
)

// Registration types of a unit account.
const (
	RegBusinessCert = "business_cert" // a unit certificate: 工商憑證, 政府憑證, 組織及團體憑證 or 醫事憑證 (UnitAccount.CertKind)
	RegNHICard      = "nhi_card"      // 負責人健保卡
)

// Account and clerk statuses.
const (
	AccountActive       = "active"
	AccountDeregistered = "deregistered" // 註銷
	ClerkActive         = "active"
	ClerkRevoked        = "revoked"
)

// Clerk card types.
const (
	CardCitizenCert = "citizen_cert" // 自然人憑證
	CardNHI         = "nhi_card"     // 健保卡
)

// Staff roles. Unit-side roles (unit_owner, clerk, clerk_filer) are not
// stored: they follow from how the user logged in.
const (
	RoleStaff      = "staff"
	RoleSupervisor = "supervisor"
	RoleAuditor    = "auditor"
	RoleAdmin      = "admin"
	RoleUnitOwner  = "unit_owner"
	RoleClerk      = "clerk"
	RoleClerkFiler = "clerk_filer"
	// RoleUnitManager is held in addition to clerk or clerk_filer by a
	// clerk the unit made its manager (單位管理者).
	RoleUnitManager = "unit_manager"
)

// StaffRoles and UnitRoles list every role of each side.
var (
	StaffRoles = []string{RoleStaff, RoleSupervisor, RoleAuditor, RoleAdmin}
	UnitRoles  = []string{RoleUnitOwner, RoleClerk, RoleClerkFiler}
)

// Branch is a 分區業務組.
type Branch struct {
	bun.BaseModel `bun:"table:branches"`
	Code          string `bun:"code,pk"`
	Name          string `bun:"name"`
	Phone         string `bun:"phone"`
	Address       string `bun:"address"`
}

// Address is a Taiwanese address split as the bureau's forms split it.
type Address struct {
	County       string `bun:"county"`       // 縣市
	Township     string `bun:"township"`     // 鄉鎮市區
	Village      string `bun:"village"`      // 村里
	Neighborhood string `bun:"neighborhood"` // 鄰
	Street       string `bun:"street"`       // 街路門號
}

// String joins the parts as printed on an envelope.
func (a Address) String() string {
	s := a.County + a.Township + a.Village
	if a.Neighborhood != "" {
		s += a.Neighborhood + "鄰"
	}
	return s + a.Street
}

// Unit is an insured unit (投保單位).
type Unit struct {
	bun.BaseModel `bun:"table:units"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Code          string    `bun:"code"` // 投保單位代號
	BAN           string    `bun:"ban"`  // 統一編號
	Name          string    `bun:"name"`
	BranchCode    string    `bun:"branch_code"`
	Status        string    `bun:"status"`
	StatusReason  string    `bun:"status_reason"`
	StatusCode    string    `bun:"status_code"` // the reason code of the last close or reopen
	Reg           Address   `bun:"embed:reg_"`  // 登記地址
	Mail          Address   `bun:"embed:mail_"` // 通訊地址
	Phone         string    `bun:"phone"`
	Fax           string    `bun:"fax"`
	LaborInsNo    *string   `bun:"labor_ins_no"` // 勞保證號
	OwnerIDNo     *string   `bun:"owner_id_no"`  // 負責人身分證號
	OwnerName     string    `bun:"owner_name"`   // 負責人姓名
	Email         string    `bun:"email"`        // the unit's e-mail on file with the bureau; 開通碼 go there
	AgencyCode    *string   `bun:"agency_code"`  // the identifier a 政府憑證 (GCA) carries; nil: the unit has none
	OrgCode       *string   `bun:"org_code"`     // the identifier a 組織及團體憑證 (XCA) carries
	MedicalCode   *string   `bun:"medical_code"` // 醫事機構代碼, which a 醫事憑證 (HCA) carries
	Version       int64     `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`

	Branch *Branch `bun:"rel:belongs-to,join:branch_code=code"`
}

// UnitAccount is a unit's registration (多憑證帳號).
type UnitAccount struct {
	bun.BaseModel  `bun:"table:unit_accounts"`
	ID             int64      `bun:"id,pk,autoincrement"`
	UnitID         int64      `bun:"unit_id"`
	RegType        string     `bun:"reg_type"`
	CertIssuer     *string    `bun:"cert_issuer"`
	CertSerial     *string    `bun:"cert_serial"`
	CertSubject    *string    `bun:"cert_subject"`
	CertNotBefore  *time.Time `bun:"cert_not_before"`
	CertNotAfter   *time.Time `bun:"cert_not_after"`
	CertKind       *string    `bun:"cert_kind"` // the unit certificate's kind (certlogin.Kind), for RegBusinessCert; nil is MOEACA
	NHICardNo      *string    `bun:"nhi_card_no"`
	NHIIDNo        *string    `bun:"nhi_id_no"`
	PasswordHash   *string    `bun:"password_hash"`
	Status         string     `bun:"status"`
	FailedAttempts int        `bun:"failed_attempts"`
	LockedUntil    *time.Time `bun:"locked_until"`
	RegisteredAt   time.Time  `bun:"registered_at"`
	DeregisteredAt *time.Time `bun:"deregistered_at"`
	Version        int64      `bun:"version"`
}

// Staff is a bureau employee. BranchCode nil means head office (總署), whose
// staff see every branch.
type Staff struct {
	bun.BaseModel  `bun:"table:staff"`
	ID             int64      `bun:"id,pk,autoincrement"`
	Username       string     `bun:"username"`
	Name           string     `bun:"name"`
	Role           string     `bun:"role"`
	BranchCode     *string    `bun:"branch_code"`
	Email          string     `bun:"email"`
	PasswordHash   string     `bun:"password_hash"`
	FailedAttempts int        `bun:"failed_attempts"`
	LockedUntil    *time.Time `bun:"locked_until"`
	Status         string     `bun:"status"`
	CreatedAt      time.Time  `bun:"created_at"`
	LastLoginAt    *time.Time `bun:"last_login_at"`
	// MustChangePassword: an admin set the password; the person chooses
	// a new one before using the console.
	MustChangePassword bool `bun:"must_change_password"`
}

// Domain is the staff member's Casbin domain: "branch:<code>" or "*" for head office.
func (s *Staff) Domain() string {
	if s.BranchCode == nil {
		return "*"
	}
	return "branch:" + *s.BranchCode
}

// Session is a server-side login session. ID is the SHA-256 of the cookie
// value, so a copy of the table does not hand out live sessions.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            string `bun:"id,pk"`
	CSRFToken     string `bun:"csrf_token"`
	Kind          string `bun:"kind"`
	Role          string `bun:"role"`
	StaffID       *int64 `bun:"staff_id"`
	UnitID        *int64 `bun:"unit_id"`
	AccountID     *int64 `bun:"account_id"`
	ClerkID       *int64 `bun:"clerk_id"`
	// ChoosingClerkID is, on an anonymous session, the assignment of a
	// person a login proved who has still to choose one of their units.
	ChoosingClerkID *int64    `bun:"choosing_clerk_id"`
	ClientIP        string    `bun:"client_ip"`
	UserAgent       string    `bun:"user_agent"`
	CreatedAt       time.Time `bun:"created_at"`
	LastSeenAt      time.Time `bun:"last_seen_at"`
	ExpiresAt       time.Time `bun:"expires_at"`
}

// ChoosingClerk is the assignment whose person may choose a unit with
// the session: a clerk's own, or the one a login proved before the choice;
// 0 for anyone else.
func (s *Session) ChoosingClerk() int64 {
	switch {
	case s == nil:
		return 0
	case s.Kind == SessionClerk && s.ClerkID != nil:
		return *s.ClerkID
	case s.Kind == SessionAnonymous && s.ChoosingClerkID != nil:
		return *s.ChoosingClerkID
	}
	return 0
}

// AuditEvent is one link of the append-only, hash-chained audit log.
type AuditEvent struct {
	bun.BaseModel `bun:"table:audit_events"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Seq           int64     `bun:"seq"`
	At            time.Time `bun:"at"`
	ActorKind     string    `bun:"actor_kind"`
	ActorID       *int64    `bun:"actor_id"`
	ActorName     string    `bun:"actor_name"`
	Role          string    `bun:"role"`
	UnitID        *int64    `bun:"unit_id"`
	BranchCode    *string   `bun:"branch_code"`
	Action        string    `bun:"action"`
	ObjectType    string    `bun:"object_type"`
	ObjectID      string    `bun:"object_id"`
	BeforeJSON    string    `bun:"before_json"`
	AfterJSON     string    `bun:"after_json"`
	Reason        string    `bun:"reason"`
	ClientIP      string    `bun:"client_ip"`
	PrevHash      string    `bun:"prev_hash"`
	Hash          string    `bun:"hash"`
	// KeyID names the HMAC key of Hash; "" marks a legacy event, hashed
	// with plain SHA-256 before the chain was keyed.
	KeyID string `bun:"key_id"`
}
