package models

import (
	"sort"
	"strings"
)

// AuditAction is one kind of audit event: the code stored in the event's
// action column, its name in Chinese, the kind of object it concerns (the
// object_type its events carry, in the usual case) and whether it records a
// decision of bureau staff, which the statistics count and time and the
// supervisors sample.
type AuditAction struct {
	Code     string
	Label    string
	Object   string
	Decision bool
	Short    string // a decision's name in the statistics' narrow columns
	// Former are codes the same action was written under before a rename
	// (the 承辦人 were "handler" until migration 16). Events are never
	// rewritten, since each is hashed into the chain, so a search for the
	// action also finds its former codes, and they show its label.
	Former []string
}

// auditActions is the registry of audit actions: every action the models
// write, and the few that older events carry. audit() refuses an action
// missing here, and TestAuditActionsRegistered fails for a literal one.
// Decisions keep their order here: it is the order of the statistics'
// columns.
var auditActions = []AuditAction{
	// Staff accounts and sessions.
	{Code: "staff.login", Label: "署內人員登入", Object: "staff"},
	{Code: "staff.login_failed", Label: "署內人員登入失敗", Object: "staff"},
	{Code: "staff.locked", Label: "署內人員帳號鎖定", Object: "staff"},
	{Code: "staff.logout", Label: "署內人員登出", Object: "staff"},
	{Code: "staff.create", Label: "新增署內人員", Object: "staff"},
	{Code: "staff.update", Label: "變更署內人員角色或業務組", Object: "staff"},
	{Code: "staff.disable", Label: "停用署內人員帳號", Object: "staff"},
	{Code: "staff.enable", Label: "啟用署內人員帳號", Object: "staff"},
	{Code: "staff.password_reset", Label: "重設署內人員密碼", Object: "staff"},
	{Code: "staff.password_change", Label: "署內人員變更密碼", Object: "staff"},

	// Unit accounts: registration, login, self-service changes.
	{Code: "unit.login", Label: "單位登入", Object: "unit_account"},
	{Code: "unit.login_failed", Label: "單位登入失敗", Object: "unit_account"},
	{Code: "unit.locked", Label: "單位帳號鎖定", Object: "unit_account"}, // older events only
	{Code: "unit.logout", Label: "單位登出", Object: "unit"},
	{Code: "unit.register", Label: "單位註冊", Object: "unit_account"},
	{Code: "unit.register_failed", Label: "單位註冊失敗", Object: "certificate"},
	{Code: "unit.register_code_sent", Label: "寄送單位註冊開通碼", Object: "one_time_code"},
	{Code: "unit.register_code_refused", Label: "單位註冊開通碼未寄送", Object: "unit"},
	{Code: "unit.password_reset", Label: "單位健保卡帳號重設密碼", Object: "unit_account"},
	{Code: "unit.activation_code_issued", Label: "核發單位註冊開通碼", Object: "one_time_code"},
	{Code: "unit.activation_code_revoked", Label: "撤銷單位註冊開通碼", Object: "one_time_code"},
	{Code: "unit.cert_change", Label: "單位憑證變更", Object: "unit_account"},
	{Code: "unit.cert_ids", Label: "單位憑證識別碼變更", Object: "unit"},
	{Code: "unit.labor_ins_no", Label: "勞保證號變更", Object: "unit"},
	{Code: "unit.contact", Label: "通訊資料變更", Object: "unit"},

	// The unit's clerks (承辦人) and their NHI-card registration.
	{Code: "clerk.login", Label: "承辦人登入", Object: "clerk", Former: []string{"handler.login"}},
	{Code: "clerk.login_failed", Label: "承辦人登入失敗", Object: "nhi_registration", Former: []string{"handler.login_failed"}},
	{Code: "clerk.logout", Label: "承辦人登出", Object: "clerk", Former: []string{"handler.logout"}},
	{Code: "clerk.switch_unit", Label: "承辦人切換投保單位", Object: "clerk"},
	{Code: "clerk.add", Label: "新增承辦人", Object: "clerk", Former: []string{"handler.add"}},
	{Code: "clerk.revoke", Label: "刪除承辦人", Object: "clerk", Former: []string{"handler.revoke"}},
	{Code: "clerk.card_replaced", Label: "承辦人換發健保卡", Object: "clerk", Former: []string{"handler.card_replaced"}},
	{Code: "nhi.register", Label: "健保卡網路服務註冊", Object: "nhi_registration"},
	{Code: "nhi.password_reset", Label: "健保卡密碼重設", Object: "nhi_registration"},
	{Code: "nhi.code_sent", Label: "寄送健保卡註冊驗證碼", Object: "one_time_code"},
	{Code: "nhi.code_awaiting", Label: "健保卡註冊待單位指派", Object: "one_time_code"},
	{Code: "nhi.code_failed", Label: "健保卡註冊驗證碼錯誤", Object: "one_time_code"},
	{Code: "nhi.password_revoked", Label: "停用承辦人健保卡密碼", Object: "clerk"},

	// Change requests: the unit's, and the console's decisions on them.
	{Code: "change_request.submit", Label: "送出基本資料變更申請", Object: "change_request"},
	{Code: "change_request.cancel", Label: "取消基本資料變更申請", Object: "change_request"},
	{Code: "change_request.approve", Label: "審核通過基本資料變更", Object: "change_request", Decision: true, Short: "變更核准"},
	{Code: "change_request.reject", Label: "駁回基本資料變更", Object: "change_request", Decision: true, Short: "變更駁回"},
	{Code: "change_request.apply", Label: "基本資料變更生效", Object: "change_request"},

	// The console's decisions on units and their accounts.
	{Code: "unit.close", Label: "暫時關閉單位", Object: "unit", Decision: true, Short: "關閉單位"},
	{Code: "unit.reopen", Label: "開啟單位", Object: "unit", Decision: true, Short: "開啟單位"},
	{Code: "deregistration.request", Label: "申請註銷帳號", Object: "deregistration", Decision: true, Short: "註銷申請"},
	{Code: "deregistration.approve", Label: "核准註銷帳號", Object: "deregistration", Decision: true, Short: "註銷核准"},
	{Code: "deregistration.reject", Label: "駁回註銷帳號", Object: "deregistration", Decision: true, Short: "註銷駁回"},

	// Phone support cases.
	{Code: "case.open", Label: "開立電話服務案件", Object: "case"},
	{Code: "case.note", Label: "電話服務案件新增備註", Object: "case"},
	{Code: "case.status", Label: "電話服務案件變更狀態", Object: "case"},
	{Code: "case.assign", Label: "電話服務案件指派", Object: "case"},
	{Code: "case.resolve", Label: "電話服務案件結案", Object: "case", Decision: true, Short: "案件結案"},

	// The 公告欄.
	{Code: "announcement.create", Label: "發布公告", Object: "announcement"},
	{Code: "announcement.update", Label: "修改公告", Object: "announcement"},
	{Code: "announcement.withdraw", Label: "撤回公告", Object: "announcement"},

	// Filings, their printing (personal data) and their reference data.
	{Code: "filing.submit", Label: "送出申報資料", Object: "filing"},
	{Code: "filing.age_confirm", Label: "確認眷屬出生日期無誤（錯誤代碼 2）", Object: "filing"},
	{Code: "filing.print", Label: "列印申報資料", Object: "filing"},
	{Code: "filing.correct", Label: "補正申報資料", Object: "filing"},
	{Code: "filing.withdraw", Label: "撤回檢核錯誤的申報資料", Object: "filing"},
	{Code: "filing.delete", Label: "刪除生效日前的預辦申報資料", Object: "filing"},
	{Code: "error_code.update", Label: "修改錯誤代碼說明", Object: "error_code"},
	{Code: "grade_table.load", Label: "載入投保金額分級表", Object: "grade_table"},

	// The audit log itself and the sampling of decisions.
	{Code: "audit.export", Label: "匯出稽核紀錄", Object: "audit_log"},
	{Code: "audit.key", Label: "啟用稽核紀錄簽章金鑰", Object: "audit_key"},
	{Code: "sample.draw", Label: "抽樣覆核抽樣", Object: "sample"},
	{Code: "sample.verdict", Label: "記錄抽樣覆核結果", Object: "sample_item"},

	// Refused requests.
	{Code: ActionAccessDenied, Label: "拒絕存取（無權限或查無資料）", Object: "route"},
	{Code: ActionCSRFRefused, Label: "拒絕來源不明的送出（CSRF）", Object: "route"},
	{Code: ActionRefusalSuppressed, Label: "拒絕次數過多，暫停逐筆記錄", Object: "route"},

	// Demo mode.
	{Code: "demo.seed", Label: "建立示範資料", Object: "demo"},
	{Code: "demo.cards", Label: "設定示範卡片", Object: "demo"},
}

// auditActionByCode finds an action by its code or a former code.
var auditActionByCode = func() map[string]AuditAction {
	m := make(map[string]AuditAction, len(auditActions))
	for _, a := range auditActions {
		for _, code := range append([]string{a.Code}, a.Former...) {
			if _, dup := m[code]; dup {
				panic("models: audit action " + code + " registered twice")
			}
			m[code] = a
		}
	}
	return m
}()

// auditActionCodes are the codes an action's events carry: its code and
// its former ones.
func auditActionCodes(code string) []string {
	if a, ok := auditActionByCode[code]; ok && a.Code == code {
		return append([]string{a.Code}, a.Former...)
	}
	return []string{code}
}

// ActorKindClerk is the actor kind of a unit's clerk (承辦人); events
// before migration 16 carry its former code, actorKindClerkFormer.
const (
	ActorKindClerk       = "clerk"
	actorKindClerkFormer = "handler"
)

// DecisionActions are the codes of the audit actions that record a decision
// of bureau staff, in the registry's order. A decision that answers a
// request carries "waited_seconds" (from the request to the decision) in
// its audit event's after JSON.
var DecisionActions = func() []string {
	var out []string
	for _, a := range auditActions {
		if a.Decision {
			out = append(out, a.Code)
		}
	}
	return out
}()

// AuditActions returns every registered audit action, in code order so
// that they group by object.
func AuditActions() []AuditAction {
	out := append([]AuditAction(nil), auditActions...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// AuditActionOf returns the registered action with the code, if any.
func AuditActionOf(code string) (AuditAction, bool) {
	a, ok := auditActionByCode[code]
	return a, ok
}

// AuditActionLabel is the Chinese name of an action, or its code when it
// is not registered.
func AuditActionLabel(code string) string {
	if a, ok := auditActionByCode[code]; ok {
		return a.Label
	}
	return code
}

// auditFieldLabels name, in Chinese, the keys of the before and after JSON
// that audit events record, for the pages that show them.
var auditFieldLabels = map[string]string{
	"status":               "狀態",
	"reason":               "原因",
	"resolution":           "處理結果",
	"waited_seconds":       "等候時間",
	"effective_date":       "生效日期",
	"sessions_ended":       "結束的登入階段數",
	"account_id":           "帳號編號",
	"account_status":       "帳號狀態",
	"reg_type":             "註冊方式",
	"clerks_revoked":       "解除的承辦人數",
	"handlers_revoked":     "解除的承辦人數", // events before migration 16
	"name":                 "名稱",
	"new_name":             "新名稱",
	"reg":                  "登記地址",
	"mail":                 "通訊地址",
	"labor_ins_no":         "勞保證號",
	"phone":                "電話",
	"fax":                  "傳真",
	"email":                "電子郵件",
	"id_no":                "身分證號",
	"may_file":             "可申報",
	"may_manage":           "可管理",
	"role":                 "角色",
	"branch":               "業務組",
	"username":             "帳號",
	"must_change_password": "須變更密碼",
	"card_serial":          "卡片序號",
	"card_no":              "卡號",
	"card_type":            "卡別",
	"nhi_card_no":          "健保卡號",
	"cert_serial":          "憑證序號",
	"cert_issuer":          "憑證簽發者",
	"issuer":               "憑證簽發者",
	"serial":               "憑證序號",
	"subject":              "憑證主體",
	"not_after":            "憑證有效期限",
	"sent_to":              "寄送對象",
	"code":                 "代碼",
	"code_source":          "開通碼來源",
	"expires_at":           "到期時間",
	"key_id":               "金鑰代號",
	"filings":              "申報資料",
	"refused":              "退回筆數",
	"count":                "筆數",
	"source":               "來源",
	"message":              "訊息",
	"fix":                  "處理方式",
	"grades":               "級距數",
	"min":                  "最低級距",
	"max":                  "最高級距",
	"size":                 "抽樣筆數",
	"requested":            "要求筆數",
	"audit_event_ids":      "抽中的稽核紀錄",
	"sample_id":            "抽樣編號",
	"audit_event_id":       "稽核紀錄編號",
	"verdict":              "覆核結果",
	"note":                 "說明",
	"note_id":              "備註編號",
	"text":                 "內容",
	"assigned_to":          "指派給",
}

// AuditFieldLabel is the Chinese name of a before/after JSON key, or the key
// itself when it has none.
func AuditFieldLabel(key string) string {
	if l, ok := auditFieldLabels[key]; ok {
		return l
	}
	return key
}

// formerReasons name, in Chinese, the reasons that the models wrote in
// English before they wrote them in Chinese (and that the staff login
// still writes, which its audit search relies on). Events are never
// rewritten, since each is hashed into the chain: the pages label them.
var formerReasons = map[string]string{
	"certificate not bound to an active account":          "憑證未註冊多憑證帳號或帳號已註銷",
	"unit closed or unregistered":                         "單位暫時關閉或未註冊",
	"unit closed":                                         "單位暫時關閉",
	"throttled":                                           "失敗次數過多，暫停登入",
	"unknown unit code":                                   "投保單位代號不存在",
	"no active NHI-card account":                          "單位沒有有效的負責人健保卡帳號",
	"wrong card or password":                              "健保卡或密碼不正確",
	"responsible person's NHI card":                       "負責人健保卡",
	"certificate not bound to an active clerk":            "憑證未指派為有效的承辦人",
	"no NHI card network registration":                    "未完成健保卡網路服務註冊",
	"wrong password":                                      "密碼不正確",
	"not an active clerk":                                 "不是有效的承辦人",
	"card number differs from the one read at assignment": "健保卡卡號與指派時讀取的不同",
	"NHI card": "健保卡",
	"no unit has assigned this person with an NHI card": "尚無單位以健保卡指派此人",
	"e-mail code":                            "電子郵件驗證碼",
	"wrong, expired or used 開通碼":             "開通碼錯誤、逾期或已使用",
	"another card than at the code request":  "與申請開通碼時讀取的健保卡不同",
	"統一編號 does not match":                    "統一編號與投保單位不符",
	"card is not the responsible person's":   "健保卡不是登記的負責人",
	"registered with a business certificate": "已以工商憑證註冊",
	"no e-mail on file":                      "單位未登記電子郵件",
	"unknown user name":                      "帳號不存在",
	"account disabled":                       "帳號已停用",
}

// formerReasonPrefixes are the English beginnings of reasons that carry a
// value after them (a certificate's serial, an error).
var formerReasonPrefixes = [][2]string{
	{"business certificate ", "工商憑證 "},
	{"citizen certificate ", "自然人憑證 "},
	{"統一編號 in the certificate is ", "憑證上的統一編號為 "},
	{"nonce: ", "登入驗證碼："},
	{"certificate: ", "憑證："},
}

// AuditReasonLabel is an event's reason in words: a reason written in
// English by older code is shown in Chinese; any other is shown as stored.
func AuditReasonLabel(reason string) string {
	if l, ok := formerReasons[reason]; ok {
		return l
	}
	for _, p := range formerReasonPrefixes {
		if rest, ok := strings.CutPrefix(reason, p[0]); ok {
			return p[1] + rest
		}
	}
	return reason
}
