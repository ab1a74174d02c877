package twaddr_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/twaddr"
)

// The figures of the 2021 snapshot; see README.md.
const (
	wantCounties  = 22
	wantTownships = 368
	wantVillages  = 7701
)

// The two characters the source wrote in brackets, by code point.
const (
	naBa   = "\U00026C21拔里" // 𦰡拔里, 臺南市新化區
	shiCao = "石\U00025562里" // 石𥕢里, 臺南市龍崎區 and 新北市坪林區
)

func TestCounts(t *testing.T) {
	cs := twaddr.Counties()
	townships, villages := 0, 0
	for _, c := range cs {
		townships += len(c.Townships)
		for _, tw := range c.Townships {
			villages += len(tw.Villages)
		}
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"counties", len(cs), wantCounties},
		{"townships", townships, wantTownships},
		{"villages", villages, wantVillages},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestCodesAndOrder(t *testing.T) {
	countyCode := regexp.MustCompile(`^\d{5}$`)
	townCode := regexp.MustCompile(`^\d{8}$`)
	cs := twaddr.Counties()
	for _, c := range cs {
		if !countyCode.MatchString(c.Code) {
			t.Errorf("county %s: got code %q, want 5 digits", c.Name, c.Code)
		}
		for j, tw := range c.Townships {
			if !townCode.MatchString(tw.Code) || !strings.HasPrefix(tw.Code, c.Code) {
				t.Errorf("%s%s: got code %q, want 8 digits starting %s", c.Name, tw.Name, tw.Code, c.Code)
			}
			if j > 0 && c.Townships[j-1].Code >= tw.Code {
				t.Errorf("%s%s: code %s does not follow %s", c.Name, tw.Name, tw.Code, c.Townships[j-1].Code)
			}
		}
	}
}

// TestCountyOrder: the counties come in the official order, 臺北市 first and
// 連江縣 last, not in the order of their codes.
func TestCountyOrder(t *testing.T) {
	want := []string{"臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市",
		"宜蘭縣", "新竹縣", "苗栗縣", "彰化縣", "南投縣", "雲林縣", "嘉義縣", "屏東縣", "臺東縣", "花蓮縣", "澎湖縣",
		"基隆市", "新竹市", "嘉義市", "金門縣", "連江縣"}
	var got []string
	for _, c := range twaddr.Counties() {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Counties() order:\n got %v\nwant %v", got, want)
	}
}

func TestDataInvariants(t *testing.T) {
	zip := regexp.MustCompile(`^\d{3}$`)
	for _, c := range twaddr.Counties() {
		checkName(t, "county", c.Name)
		if strings.Contains(c.Name, "台") {
			t.Errorf("county %q: got 台, want 臺", c.Name)
		}
		if len(c.Townships) == 0 {
			t.Errorf("county %s: no townships", c.Name)
		}
		for _, tw := range c.Townships {
			where := c.Name + tw.Name
			checkName(t, "township", tw.Name)
			if strings.Contains(tw.Name, "台") {
				t.Errorf("township %q: got 台, want 臺", where)
			}
			if !zip.MatchString(tw.Zip) {
				t.Errorf("%s: got zip %q, want 3 digits", where, tw.Zip)
			}
			if len(tw.Villages) == 0 {
				t.Errorf("%s: no villages", where)
			}
			seen := map[string]string{}
			for _, v := range tw.Villages {
				checkName(t, "village of "+where, v)
				key := twaddr.Normalize(v)
				if prev, dup := seen[key]; dup {
					t.Errorf("%s: village %q repeats %q", where, v, prev)
				}
				seen[key] = v
			}
		}
	}
}

// checkName fails when a name is empty, has brackets, white space, ASCII
// or invalid UTF-8: the signs of an unmapped or garbled source name.
func checkName(t *testing.T, kind, name string) {
	t.Helper()
	if name == "" || !utf8.ValidString(name) || strings.TrimSpace(name) != name {
		t.Errorf("%s %q: empty, untrimmed or invalid UTF-8", kind, name)
	}
	if strings.ContainsAny(name, "[]［］ \u3000") {
		t.Errorf("%s %q: has brackets or spaces", kind, name)
	}
	for _, r := range name {
		if r < 0x3400 {
			t.Errorf("%s %q: has non-ideograph %q", kind, name, r)
		}
	}
}

func TestKnownEntries(t *testing.T) {
	tests := []struct {
		county, township, zip, code, village string
	}{
		{"臺北市", "中正區", "100", "63000050", "建國里"},
		{"新北市", "板橋區", "220", "65000010", "留侯里"},
		{"基隆市", "中正區", "202", "10017010", "信義里"},
		{"臺南市", "新化區", "712", "67000180", naBa},
		{"臺南市", "龍崎區", "719", "67000300", shiCao},
		{"新北市", "坪林區", "232", "65000200", shiCao},
		{"屏東縣", "霧臺鄉", "902", "10013270", "霧台村"},
		{"連江縣", "南竿鄉", "209", "09007010", "介壽村"},
		{"新竹市", "香山區", "300", "10018030", "香山里"},
	}
	for _, tt := range tests {
		t.Run(tt.county+tt.township, func(t *testing.T) {
			tw, ok := twaddr.LookupTownship(tt.county, tt.township)
			if !ok {
				t.Fatalf("LookupTownship(%q, %q): not found", tt.county, tt.township)
			}
			if tw.Zip != tt.zip || tw.Code != tt.code {
				t.Errorf("got zip %q code %q, want %q %q", tw.Zip, tw.Code, tt.zip, tt.code)
			}
			if !slices.Contains(tw.Villages, tt.village) {
				t.Errorf("got villages %v, want one named %q", tw.Villages, tt.village)
			}
		})
	}
}

func TestLookupCounty(t *testing.T) {
	tests := []struct {
		in        string
		wantName  string
		wantCode  string
		wantTowns int
		wantOK    bool
	}{
		{"臺北市", "臺北市", "63000", 12, true},
		{"台北市", "臺北市", "63000", 12, true},
		{"台中市", "臺中市", "66000", 29, true},
		{" 台東縣\u3000", "臺東縣", "10014", 16, true},
		{"高雄市", "高雄市", "64000", 38, true},
		{"連江縣", "連江縣", "09007", 4, true},
		{"金門縣", "金門縣", "09020", 6, true},
		{"宜蘭縣", "宜蘭縣", "10002", 12, true},
		{"台北", "", "", 0, false},
		{"臺灣省", "", "", 0, false},
		{"", "", "", 0, false},
	}
	for _, tt := range tests {
		c, ok := twaddr.LookupCounty(tt.in)
		if ok != tt.wantOK {
			t.Errorf("LookupCounty(%q): got ok %v, want %v", tt.in, ok, tt.wantOK)
			continue
		}
		if !ok {
			if c != nil {
				t.Errorf("LookupCounty(%q): got %v with ok false, want nil", tt.in, c)
			}
			continue
		}
		if c.Name != tt.wantName || c.Code != tt.wantCode || len(c.Townships) != tt.wantTowns {
			t.Errorf("LookupCounty(%q): got %s %s with %d townships, want %s %s with %d",
				tt.in, c.Name, c.Code, len(c.Townships), tt.wantName, tt.wantCode, tt.wantTowns)
		}
	}
}

func TestLookupTownshipAndZipOf(t *testing.T) {
	tests := []struct {
		county, township string
		wantName         string
		wantZip          string
	}{
		{"台北市", "中正區", "中正區", "100"},
		{"基隆市", "中正區", "中正區", "202"},
		{"新北市", " 板橋區 ", "板橋區", "220"},
		{"台東縣", "台東市", "臺東市", "950"},
		{"雲林縣", "台西鄉", "臺西鄉", "636"},
		{"高雄市", "那瑪夏區", "那瑪夏區", "849"},
		{"臺北市", "板橋區", "", ""}, // township of another county
		{"臺北市", "", "", ""},
		{"", "中正區", "", ""},
		{"宜蘭縣", "釣魚臺列嶼", "", ""}, // has a postal code but no villages in the data
	}
	for _, tt := range tests {
		tw, ok := twaddr.LookupTownship(tt.county, tt.township)
		gotName := ""
		if ok {
			gotName = tw.Name
		}
		if gotName != tt.wantName {
			t.Errorf("LookupTownship(%q, %q): got %q (ok %v), want %q", tt.county, tt.township, gotName, ok, tt.wantName)
		}
		if got := twaddr.ZipOf(tt.county, tt.township); got != tt.wantZip {
			t.Errorf("ZipOf(%q, %q): got %q, want %q", tt.county, tt.township, got, tt.wantZip)
		}
	}
}

func TestLookupVillage(t *testing.T) {
	tests := []struct {
		county, township, village string
		want                      string
		wantOK                    bool
	}{
		{"臺北市", "中正區", "建國里", "建國里", true},
		{"屏東縣", "霧台鄉", "霧臺村", "霧台村", true}, // stored as the data writes it
		{"臺南市", "新化區", naBa, naBa, true},
		{"臺南市", "新化區", "[那]拔里", "", false},
		{"臺北市", "中正區", "留侯里", "", false},
	}
	for _, tt := range tests {
		got, ok := twaddr.LookupVillage(tt.county, tt.township, tt.village)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("LookupVillage(%q, %q, %q): got %q %v, want %q %v",
				tt.county, tt.township, tt.village, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name                      string
		county, township, village string
		want                      error
		wantMsg                   string
	}{
		{"good", "臺北市", "中正區", "建國里", nil, ""},
		{"good with 台 and spaces", " 台北市", "中正區 ", "\u3000建國里", nil, ""},
		{"good rare character", "台南市", "新化區", naBa, nil, ""},
		{"good rare character twice", "新北市", "坪林區", shiCao, nil, ""},
		{"good village written with 臺", "屏東縣", "霧臺鄉", "霧臺村", nil, ""},
		{"good village written with 台", "屏東縣", "霧台鄉", "霧台村", nil, ""},
		{"good outlying island", "連江縣", "東引鄉", "中柳村", nil, ""},
		{"empty county", "", "中正區", "建國里", twaddr.ErrCounty, "請選擇縣市"},
		{"blank county", " \t", "中正區", "建國里", twaddr.ErrCounty, "請選擇縣市"},
		{"unknown county", "台灣市", "中正區", "建國里", twaddr.ErrCounty, "縣市「臺灣市」不存在"},
		{"empty township", "臺北市", "", "建國里", twaddr.ErrTownship, "請選擇鄉鎮市區"},
		{"township of another county", "臺北市", "板橋區", "留侯里", twaddr.ErrTownship, "臺北市沒有「板橋區」這個鄉鎮市區"},
		{"unknown township", "台中市", "中正區", "建國里", twaddr.ErrTownship, "臺中市沒有「中正區」這個鄉鎮市區"},
		{"empty village", "臺北市", "中正區", "", twaddr.ErrVillage, "請選擇村里"},
		{"village of another township", "臺北市", "中正區", "留侯里", twaddr.ErrVillage, "中正區沒有「留侯里」這個村里"},
		{"village of same-named township elsewhere", "臺北市", "中正區", "德義里", twaddr.ErrVillage, "中正區沒有「德義里」這個村里"},
		{"bracketed source name", "臺南市", "新化區", "[那]拔里", twaddr.ErrVillage, "新化區沒有「[那]拔里」這個村里"},
		{"long input is cut", "臺北市", "中正區", strings.Repeat("里", 30), twaddr.ErrVillage, "中正區沒有「" + strings.Repeat("里", 20) + "…」這個村里"},
		{"invalid UTF-8", "\xff臺北", "中正區", "建國里", twaddr.ErrCounty, "縣市「\uFFFD臺北」不存在"},
	}
	sentinels := []error{twaddr.ErrCounty, twaddr.ErrTownship, twaddr.ErrVillage}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := twaddr.Validate(tt.county, tt.township, tt.village)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %q, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want %q", tt.wantMsg)
			}
			if got := err.Error(); got != tt.wantMsg {
				t.Errorf("got message %q, want %q", got, tt.wantMsg)
			}
			for _, s := range sentinels {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(err, %q): got %v, want %v", s, got, want)
				}
			}
		})
	}
}

// TestValidateEveryEntry checks that every entry of the data validates,
// looked up with the names as Counties gives them.
func TestValidateEveryEntry(t *testing.T) {
	n := 0
	for _, c := range twaddr.Counties() {
		for _, tw := range c.Townships {
			if got := twaddr.ZipOf(c.Name, tw.Name); got != tw.Zip {
				t.Errorf("ZipOf(%q, %q): got %q, want %q", c.Name, tw.Name, got, tw.Zip)
			}
			for _, v := range tw.Villages {
				if err := twaddr.Validate(c.Name, tw.Name, v); err != nil {
					t.Errorf("Validate(%q, %q, %q): got %q, want nil", c.Name, tw.Name, v, err)
				}
				n++
			}
		}
	}
	if n != wantVillages {
		t.Errorf("got %d villages validated, want %d", n, wantVillages)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"台北市", "臺北市"},
		{"  台中市\t", "臺中市"},
		{"\u3000臺南市\u3000", "臺南市"},
		{"台東縣台東市", "臺東縣臺東市"},
		{"高雄市", "高雄市"},
		{"", ""},
		{" ", ""},
	}
	for _, tt := range tests {
		if got := twaddr.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestResultsAreCopies checks that modifying what the lookups return does
// not change the package's data.
func TestResultsAreCopies(t *testing.T) {
	cs := twaddr.Counties()
	cs[0].Name = "changed"
	cs[0].Townships[0].Villages[0] = "changed"
	c, _ := twaddr.LookupCounty("臺北市")
	c.Townships[0].Zip = "999"
	tw, _ := twaddr.LookupTownship("臺北市", "中正區")
	tw.Villages = tw.Villages[:0]

	again := twaddr.Counties()
	if again[0].Name == "changed" || again[0].Townships[0].Villages[0] == "changed" {
		t.Errorf("Counties: got a change made to an earlier result")
	}
	if got := twaddr.ZipOf("臺北市", "中正區"); got != "100" {
		t.Errorf("ZipOf after a change to a result: got %q, want %q", got, "100")
	}
	if err := twaddr.Validate("臺北市", "中正區", "建國里"); err != nil {
		t.Errorf("Validate after a change to a result: got %q, want nil", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"embedded", string(twaddr.DataJSON), wantCounties, false},
		{"not JSON", "{", 0, true},
		{"no counties", `{"counties":[]}`, 0, true},
		{"repeated county", `{"counties":[{"code":"1","name":"臺北市"},{"code":"2","name":"台北市"}]}`, 0, true},
		{"repeated village", `{"counties":[{"code":"1","name":"屏東縣","townships":[{"code":"11","name":"霧臺鄉","zip":"902","villages":["霧台村","霧臺村"]}]}]}`, 0, true},
		{"empty village", `{"counties":[{"code":"1","name":"屏東縣","townships":[{"code":"11","name":"霧臺鄉","zip":"902","villages":[" "]}]}]}`, 0, true},
	}
	for _, tt := range tests {
		got, err := twaddr.ParseForTest([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: got %d, %v; want %d, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	inputs := [][3]string{
		{"臺北市", "中正區", "建國里"},
		{"台南市", "新化區", naBa},
		{"臺北市", "中正區", "留侯里"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in := inputs[i%len(inputs)]
		_ = twaddr.Validate(in[0], in[1], in[2])
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(twaddr.DataJSON)))
	for b.Loop() {
		if _, err := twaddr.ParseForTest(twaddr.DataJSON); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCounties(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = twaddr.Counties()
	}
}
