package models

import (
	"fmt"
	"strings"
)

// BureauBranches are the bureau's six 業務組 with their public phone
// numbers and addresses: reference data that every install has, created by
// migration 12 (not by the demo), so that a production install without
// demo data can assign staff and units to them.
var BureauBranches = []Branch{
	{Code: "1", Name: "臺北業務組", Phone: "(02)2523-2388", Address: "臺北市中正區公園路15之1號"},
	{Code: "2", Name: "北區業務組", Phone: "(03)433-9111", Address: "桃園市中壢區中山東路3段525號"},
	{Code: "3", Name: "中區業務組", Phone: "(04)2258-3988", Address: "臺中市南屯區黎明路2段503號"},
	{Code: "4", Name: "南區業務組", Phone: "(06)224-5678", Address: "臺南市中西區民生路2段96號"},
	{Code: "5", Name: "高屏業務組", Phone: "(07)231-5151", Address: "高雄市前金區中正四路259號"},
	{Code: "6", Name: "東區業務組", Phone: "(03)833-2111", Address: "花蓮縣花蓮市軒轅路36號"},
}

// BranchNames maps a branch code to its name; the six codes are fixed by
// the schema.
var BranchNames = func() map[string]string {
	m := map[string]string{}
	for _, b := range BureauBranches {
		m[b.Code] = b.Name
	}
	return m
}()

// branchInserts are migration 12's statements: the six branches, kept when
// they exist.
func branchInserts() []string {
	q := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
	var out []string
	for _, b := range BureauBranches {
		out = append(out, fmt.Sprintf("INSERT INTO branches (code, name, phone, address) VALUES (%s, %s, %s, %s) ON CONFLICT (code) DO NOTHING",
			q(b.Code), q(b.Name), q(b.Phone), q(b.Address)))
	}
	return out
}
