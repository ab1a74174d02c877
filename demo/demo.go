// Package demo seeds the demo data: staff of every role, units with
// accounts and clerks, the simulated cards' owners, and filings. It is
// used by `multicert demo` (benchmarks: --units 100000 --filings 2000000),
// by `serve --demo` and by tests.
//
// It sits beside models, not in internal/, because it is a caller of the
// store as cmd is: it builds on models (the layers run cmd → handlers →
// models → internal), and models must not know it. It writes with the
// store's own tools (RunInTx, Audit, InsertStaff, ImportFilings), so the
// demo's rows and audit events are those of real ones.
//
// Every generator is a function of its index: the i-th unit, account or
// filing is always the same, which makes seeding idempotent and lets
// tests name demo records (UnitCode(6) is an NHI-card unit).
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/internal/certlogin"
	"github.com/multicert/multicert/internal/password"
	"github.com/multicert/multicert/internal/rocdate"
	"github.com/multicert/multicert/internal/twid"
	"github.com/multicert/multicert/models"
)

// Password is the password of every demo login (staff and NHI-card
// accounts). The demo is for trying the system out, never for production.
const Password = "Demo-2026!"

// place is a county, a township and some of its villages.
type place struct {
	county, township string
	villages         []string
	areaCode         string
}

// places lists real places by branch code, for believable addresses.
var places = map[string][]place{
	"1": {
		{"臺北市", "中正區", []string{"建國里", "光復里", "黎明里"}, "02"},
		{"臺北市", "大安區", []string{"龍門里", "錦安里", "古莊里"}, "02"},
		{"臺北市", "信義區", []string{"興雅里", "三犁里"}, "02"},
		{"新北市", "板橋區", []string{"留侯里", "赤松里"}, "02"},
		{"新北市", "新莊區", []string{"文德里", "中隆里"}, "02"},
		{"基隆市", "仁愛區", []string{"花崗里", "育仁里"}, "02"},
		{"宜蘭縣", "宜蘭市", []string{"新興里", "民權里"}, "03"},
	},
	"2": {
		{"桃園市", "中壢區", []string{"中央里", "興南里"}, "03"},
		{"桃園市", "桃園區", []string{"中成里", "長美里"}, "03"},
		{"新竹市", "東區", []string{"光復里", "東門里"}, "03"},
		{"新竹縣", "竹北市", []string{"竹北里", "北崙里"}, "03"},
		{"苗栗縣", "苗栗市", []string{"福星里", "玉清里"}, "037"},
	},
	"3": {
		{"臺中市", "西屯區", []string{"何安里", "上石里"}, "04"},
		{"臺中市", "南屯區", []string{"黎明里", "三厝里"}, "04"},
		{"彰化縣", "彰化市", []string{"光華里", "中山里"}, "04"},
		{"南投縣", "南投市", []string{"三興里", "康壽里"}, "049"},
	},
	"4": {
		{"臺南市", "東區", []string{"大學里", "東門里"}, "06"},
		{"臺南市", "永康區", []string{"永康里", "大橋里"}, "06"},
		{"嘉義市", "東區", []string{"北門里", "興村里"}, "05"},
		{"雲林縣", "斗六市", []string{"中和里", "三光里"}, "05"},
	},
	"5": {
		{"高雄市", "前金區", []string{"文東里", "長興里"}, "07"},
		{"高雄市", "苓雅區", []string{"林德里", "苓東里"}, "07"},
		{"高雄市", "三民區", []string{"寶珠里", "德行里"}, "07"},
		{"屏東縣", "屏東市", []string{"大同里", "勝利里"}, "08"},
		{"澎湖縣", "馬公市", []string{"重慶里", "光明里"}, "06"},
	},
	"6": {
		{"花蓮縣", "花蓮市", []string{"國光里", "民勤里"}, "03"},
		{"花蓮縣", "吉安鄉", []string{"北昌村", "慶豐村"}, "03"},
		{"臺東縣", "臺東市", []string{"寶桑里", "中正里"}, "089"},
	},
}

var (
	streets    = []string{"中山路", "中正路", "民生路", "復興路", "和平東路二段", "建國北路一段", "光復路", "成功路", "自由路", "忠孝東路四段", "文化路", "大同路"}
	nameFirst  = []rune("永泰宏裕信德嘉昇立冠鼎瑞承佳興富豐和達順")
	nameSecond = []rune("豐泰昌盛發興隆益成展鴻億晟源茂安新聯群光")
	trades     = []string{"科技", "實業", "企業", "貿易", "食品", "工業", "建設", "物流", "電子", "文創", "顧問", "機械", "印刷", "餐飲", "生技"}
	forms      = []string{"股份有限公司", "有限公司", "企業社"}
	surnames   = []rune("陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高")
	givenChars = []rune("志明淑芬雅婷家豪怡君建宏俊傑美玲宗翰佩珊冠宇欣怡承恩子晴柏翰詩涵峯堃")
	idLetters  = []byte("ABCDEFGHJKLMNPQRSTUVXYWZIO")
	branchMix  = []string{"1", "1", "1", "2", "2", "3", "3", "4", "5", "5", "6"}
	closeNotes = []string{"營業地址查無此單位，暫時關閉待確認", "單位申請停業，暫時關閉", "連續退件，暫時關閉待查"}
)

// Login is one demo staff login, printed at the end of `demo`.
type Login struct {
	Username, Name, Role, Branch string
}

// staff are the demo's bureau logins: every role, in several branches and
// at head office.
var staff = []struct {
	username, name, role string
	branch               string // "" = head office
}{
	{"taipei.staff", "王專員", models.RoleStaff, "1"},
	{"taipei.super", "林科長", models.RoleSupervisor, "1"},
	{"taipei.audit", "陳稽核", models.RoleAuditor, "1"},
	{"north.staff", "張專員", models.RoleStaff, "2"},
	{"north.super", "李科長", models.RoleSupervisor, "2"},
	{"central.staff", "黃專員", models.RoleStaff, "3"},
	{"central.super", "吳科長", models.RoleSupervisor, "3"},
	{"south.staff", "劉專員", models.RoleStaff, "4"},
	{"south.super", "蔡科長", models.RoleSupervisor, "4"},
	{"kaoping.staff", "楊專員", models.RoleStaff, "5"},
	{"kaoping.super", "許科長", models.RoleSupervisor, "5"},
	{"east.staff", "鄭專員", models.RoleStaff, "6"},
	{"east.super", "謝科長", models.RoleSupervisor, "6"},
	{"hq.staff", "洪專員", models.RoleStaff, ""},
	{"hq.super", "郭組長", models.RoleSupervisor, ""},
	{"hq.audit", "邱稽核", models.RoleAuditor, ""},
	{"hq.admin", "曾管理員", models.RoleAdmin, ""},
}

// Result says what Seed added.
type Result struct {
	Units, Accounts, Clerks, Staff int
	Logins                         []Login
}

// UnitCode is the unit code the demo gives its i-th unit (0-based).
func UnitCode(i int) string {
	return fmt.Sprintf("%s%08d", branchMix[i%len(branchMix)], i+1)
}

// Seed creates the demo data: units units with accounts and clerks, and
// staff (the branches are reference data, made by a migration). It is
// idempotent: running it again adds only what is missing, so `--units` can
// grow an existing demo database. Units are inserted in batches of a
// thousand, one transaction per batch.
func Seed(ctx context.Context, s *models.Store, units int) (*Result, error) {
	res := &Result{}
	hash, err := password.Hash(Password)
	if err != nil {
		return nil, err
	}
	err = s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, d := range staff {
			exists, err := tx.NewSelect().Model((*models.Staff)(nil)).Where("username = ?", d.username).Exists(ctx)
			if err != nil {
				return fmt.Errorf("demo: staff: %w", err)
			}
			if exists {
				continue
			}
			st := &models.Staff{Username: d.username, Name: d.name, Role: d.role, PasswordHash: hash,
				Email: d.username + "@nhi.example.com"}
			if d.branch != "" {
				b := d.branch
				st.BranchCode = &b
			}
			if err := s.InsertStaff(ctx, tx, models.SystemActor, st); err != nil {
				return err
			}
			res.Staff++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range staff {
		branch := "署本部（全區）"
		for _, b := range models.BureauBranches {
			if b.Code == d.branch {
				branch = b.Name
			}
		}
		res.Logins = append(res.Logins, Login{Username: d.username, Name: d.name, Role: d.role, Branch: branch})
	}

	if err := seedAnnouncement(ctx, s); err != nil {
		return nil, err
	}

	const batch = 1000
	for start := 0; start < units; start += batch {
		end := min(start+batch, units)
		if err := seedUnits(ctx, s, start, end, hash, res); err != nil {
			return nil, err
		}
	}
	if res.Units > 0 || res.Staff > 0 {
		err = s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return s.Audit(ctx, tx, models.SystemActor, models.Change{Action: "demo.seed",
				After: map[string]int{"units": res.Units, "accounts": res.Accounts, "clerks": res.Clerks, "staff": res.Staff}})
		})
	}
	return res, err
}

// seedUnits adds the units start to end-1 that are missing, with their
// accounts and clerks, in one transaction.
func seedUnits(ctx context.Context, s *models.Store, start, end int, hash string, res *Result) error {
	return s.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		codes := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			codes = append(codes, UnitCode(i))
		}
		var existing []string
		if err := tx.NewSelect().Table("units").Column("code").Where("code IN (?)", bun.List(codes)).Scan(ctx, &existing); err != nil {
			return fmt.Errorf("demo: units: %w", err)
		}
		have := make(map[string]bool, len(existing))
		for _, c := range existing {
			have[c] = true
		}
		now := s.Timestamp()
		var us []models.Unit
		var idx []int
		for i := start; i < end; i++ {
			if !have[UnitCode(i)] {
				us = append(us, unit(i, now))
				idx = append(idx, i)
			}
		}
		if len(us) == 0 {
			return nil
		}
		if _, err := tx.NewInsert().Model(&us).Exec(ctx); err != nil {
			return fmt.Errorf("demo: units: %w", err)
		}
		var accounts []models.UnitAccount
		var clerks []models.Clerk
		for k := range us {
			a, hs := account(idx[k], &us[k], hash, now)
			if a != nil {
				accounts = append(accounts, *a)
			}
			clerks = append(clerks, hs...)
		}
		if len(accounts) > 0 {
			if _, err := tx.NewInsert().Model(&accounts).Exec(ctx); err != nil {
				return fmt.Errorf("demo: accounts: %w", err)
			}
		}
		if len(clerks) > 0 {
			if _, err := tx.NewInsert().Model(&clerks).Exec(ctx); err != nil {
				return fmt.Errorf("demo: clerks: %w", err)
			}
		}
		res.Units += len(us)
		res.Accounts += len(accounts)
		res.Clerks += len(clerks)
		return nil
	})
}

// random is the i-th generator: the same i always draws the same values.
func random(i int) *rand.Rand { return rand.New(rand.NewPCG(uint64(i), 0x6d756c7469636572)) }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func fullName(r *rand.Rand) string {
	return string([]rune{pick(r, surnames), pick(r, givenChars), pick(r, givenChars)})
}

func address(r *rand.Rand, branch string) (models.Address, string) {
	p := pick(r, places[branch])
	a := models.Address{County: p.county, Township: p.township, Village: pick(r, p.villages),
		Neighborhood: fmt.Sprint(1 + r.IntN(30)), Street: fmt.Sprintf("%s%d號", pick(r, streets), 1+r.IntN(300))}
	if r.IntN(3) == 0 {
		a.Street += fmt.Sprintf("%d樓", 2+r.IntN(12))
	}
	return a, p.areaCode
}

// unit builds the i-th demo unit; the same i always gives the same unit.
func unit(i int, now time.Time) models.Unit {
	r := random(i)
	code := UnitCode(i)
	branch := code[:1]
	reg, area := address(r, branch)
	mail := reg
	if r.IntN(4) == 0 {
		mail, _ = address(r, branch)
	}
	u := models.Unit{
		Code:       code,
		BAN:        twid.MakeBAN((i*7919 + 1234567) % 10_000_000),
		Name:       string([]rune{pick(r, nameFirst), pick(r, nameSecond)}) + pick(r, trades) + pick(r, forms),
		BranchCode: branch,
		Status:     models.UnitActive,
		Reg:        reg,
		Mail:       mail,
		Phone:      fmt.Sprintf("(%s)%04d-%04d", area, 2000+r.IntN(8000), r.IntN(10000)),
		Version:    1,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	owner := twid.MakeNationalID(pick(r, idLetters), 1+r.IntN(2), r.IntN(10_000_000))
	u.OwnerIDNo, u.OwnerName = &owner, fullName(r)
	// Four units in five have an e-mail on file; the others get their 開通碼 from staff.
	if i%5 != 4 {
		u.Email = fmt.Sprintf("unit%s@example.com.tw", code)
	}
	if r.IntN(2) == 0 {
		u.Fax = fmt.Sprintf("(%s)%04d-%04d", area, 2000+r.IntN(8000), r.IntN(10000))
	}
	if r.IntN(10) < 6 {
		l := fmt.Sprintf("%08d%c", r.IntN(100_000_000), 'A'+rune(r.IntN(26)))
		u.LaborInsNo = &l
	}
	for _, k := range kindUnits {
		if k.index == i {
			u.Name = k.name
			id := k.id
			switch k.kind {
			case certlogin.KindGCA:
				u.AgencyCode = &id
			case certlogin.KindXCA:
				u.OrgCode = &id
			case certlogin.KindHCA:
				u.MedicalCode = &id
			}
		}
	}
	if i%17 == 5 {
		u.Status = models.UnitClosed
		u.StatusReason = pick(r, closeNotes)
	}
	return u
}

// account builds the i-th unit's account (six in ten by business
// certificate, three by NHI card, one not registered yet) and its clerks.
func account(i int, u *models.Unit, hash string, now time.Time) (*models.UnitAccount, []models.Clerk) {
	r := random(i + 1_000_003)
	var a *models.UnitAccount
	switch k := i % 10; {
	case k < 6:
		issuer := "C=TW, O=行政院, OU=工商憑證管理中心（示範）"
		serial := fmt.Sprintf("%032x", uint64(i)*0x9e3779b97f4a7c15)
		subject := fmt.Sprintf("C=TW, CN=%s, serialNumber=%s", u.Name, u.BAN)
		nb := now.AddDate(-1, -r.IntN(12), 0)
		na := nb.AddDate(5, 0, 0)
		if i%23 == 0 {
			na = now.AddDate(0, 0, 20+r.IntN(30)) // expiring soon: the home page warns
		}
		kind := string(certlogin.KindMOEACA)
		a = &models.UnitAccount{RegType: models.RegBusinessCert, CertKind: &kind, CertIssuer: &issuer, CertSerial: &serial, CertSubject: &subject,
			CertNotBefore: &nb, CertNotAfter: &na}
	case k < 9:
		card := fmt.Sprintf("0000%08d", i)
		id := *u.OwnerIDNo
		h := hash
		a = &models.UnitAccount{RegType: models.RegNHICard, NHICardNo: &card, NHIIDNo: &id, PasswordHash: &h}
	default:
		return nil, nil
	}
	a.UnitID, a.Status, a.RegisteredAt, a.Version = u.ID, models.AccountActive, now, 1

	var hs []models.Clerk
	for j := 0; j < 1+i%3; j++ {
		h := models.Clerk{UnitID: u.ID, Name: fullName(r), Status: models.ClerkActive, CreatedAt: now,
			CreatedBy: "unit", MayFile: j%2 == 0, Version: 1,
			Email: fmt.Sprintf("clerk%d.%d@example.com", i, j)}
		if r.IntN(10) < 8 {
			h.IDNo = twid.MakeNationalID(pick(r, idLetters), 1+r.IntN(2), r.IntN(10_000_000))
		} else {
			h.IDNo = twid.MakeResidentIDNew(pick(r, idLetters), 1+r.IntN(2), r.IntN(10_000_000))
		}
		if j%2 == 0 {
			h.CardType = models.CardCitizenCert
			h.CardSerial = fmt.Sprintf("TP%014d", r.Int64N(1e14))
			issuer := "C=TW, O=行政院, OU=內政部憑證管理中心（示範）"
			h.CertIssuer = &issuer
		} else {
			h.CardType = models.CardNHI
			h.CardSerial = fmt.Sprintf("0000%08d", r.IntN(100_000_000))
		}
		hs = append(hs, h)
	}
	return a, hs
}

// seedAnnouncement publishes the demo's 公告欄 entry, an important one from
// head office shown for three months from yesterday (so that the login
// page shows its banner), unless the 公告欄 has one already.
func seedAnnouncement(ctx context.Context, s *models.Store) error {
	n, err := s.DB.NewSelect().Model((*models.Announcement)(nil)).Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	st := new(models.Staff)
	if err := s.DB.NewSelect().Model(st).Where("username = ?", "hq.staff").Scan(ctx); err != nil {
		return fmt.Errorf("demo: announcement: %w", err)
	}
	today := s.Now().In(models.Taipei())
	a := models.Actor{Kind: "staff", ID: st.ID, Name: st.Username, Role: st.Role}
	_, err = s.PublishAnnouncement(ctx, a, models.ScopeAll, models.AnnouncementInput{
		Title: "多憑證網路承保作業示範環境：新版憑證元件已上線",
		Body: "本示範環境使用模擬讀卡機，可在「環境說明」頁插入示範卡片後登入。\n" +
			"以自然人憑證登入出現錯誤代碼 3003 時，請至環境說明下載新版憑證元件並重新啟動電腦。\n" +
			"健保卡網路服務註冊說明：https://www.nhi.gov.tw/",
		Important: true,
		Starts:    rocdate.FormatSlash(today.AddDate(0, 0, -1)),
		Ends:      rocdate.FormatSlash(today.AddDate(0, 3, 0)),
	})
	return err
}
