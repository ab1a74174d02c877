// Package twaddr holds Taiwan's administrative divisions for address entry:
// the 22 counties and cities (縣市), their 368 townships (鄉鎮市區) with the
// 3-digit postal code (郵遞區號) of each, and the 7,701 villages (村里) of
// the townships, as of the Ministry of the Interior's 2021 snapshot. A form
// offers them as cascading selects, 縣市 → 鄉鎮市區 → 村里, followed by free
// fields for 鄰 and the street address; Validate checks a submitted
// combination on the server.
//
// The data is embedded (data.json, built by scripts/twaddr/build.sh; see
// README.md in this directory for sources, licences and how to rebuild it)
// and parsed once, on first use. Names use 臺, not 台, in county and
// township names, as official names do; the lookups accept either, through
// Normalize. Village names keep the form of the source, which has 台 in some
// official names (富台里, 霧台村); the lookups compare them with 台 and 臺
// treated as the same character, which no two villages of one township
// differ by; LookupVillage gives the form to store. Three villages whose names use characters outside the basic
// plane are written with them: 𦰡拔里 (U+26C21) in 臺南市新化區 and 石𥕢里
// (U+25562) in 臺南市龍崎區 and 新北市坪林區.
//
// Every error Validate returns wraps one of ErrCounty, ErrTownship or
// ErrVillage, for errors.Is, and its Error() is a Traditional Chinese
// message that says which part is wrong and can be shown to the user as is.
package twaddr

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed data.json
var dataJSON []byte

// County is a county or city (縣市), special municipalities (直轄市)
// included.
type County struct {
	// Code is the official 5-digit code, e.g. "63000" for 臺北市 or
	// "10002" for 宜蘭縣.
	Code string `json:"code"`
	// Name is the official name, with 臺 rather than 台, e.g. "臺北市".
	Name string `json:"name"`
	// Townships are the county's townships in code order.
	Townships []Township `json:"townships"`
}

// Township is a township, city or district (鄉鎮市區) of a county.
type Township struct {
	// Code is the official 8-digit code, whose first 5 digits are the
	// county's, e.g. "63000050" for 臺北市中正區.
	Code string `json:"code"`
	// Name is the official name, e.g. "中正區". Names repeat across
	// counties (臺北市 and 基隆市 both have a 中正區), so a township is
	// looked up with its county.
	Name string `json:"name"`
	// Zip is the 3-digit postal code, e.g. "100". Townships of a city
	// without districts of their own postal code share one: the three
	// districts of 新竹市 have 300, the two of 嘉義市 600.
	Zip string `json:"zip"`
	// Villages are the names of the township's villages (村里) in the
	// order of their official codes.
	Villages []string `json:"villages"`
}

// Sentinel errors. Every error Validate returns wraps one of these, with a
// message that names the wrong value.
var (
	// ErrCounty reports a missing or unknown county or city.
	ErrCounty = errors.New("縣市有誤")
	// ErrTownship reports a missing township, or one that is not in the
	// given county.
	ErrTownship = errors.New("鄉鎮市區有誤")
	// ErrVillage reports a missing village, or one that is not in the
	// given township.
	ErrVillage = errors.New("村里有誤")
)

// addrError carries a user-facing message and the sentinel it belongs to.
type addrError struct {
	msg  string
	kind error
}

func (e *addrError) Error() string { return e.msg }
func (e *addrError) Unwrap() error { return e.kind }

func newErr(kind error, format string, args ...any) error {
	return &addrError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// index is the parsed data with lookup tables keyed by normalised name.
type index struct {
	counties []County
	byName   map[string]*countyEntry
}

type countyEntry struct {
	county *County
	towns  map[string]*townEntry
}

type townEntry struct {
	town     *Township
	villages map[string]string // village key → name as in the data
}

var (
	loadOnce sync.Once
	loaded   *index
)

// data returns the parsed embedded data. The embedded file is generated and
// checked by the tests, so a parse error is a build defect: it panics.
func data() *index {
	loadOnce.Do(func() {
		idx, err := parse(dataJSON)
		if err != nil {
			panic("twaddr: embedded data.json: " + err.Error())
		}
		loaded = idx
	})
	return loaded
}

// parse decodes data.json and builds the lookup tables, rejecting data that
// would make a lookup ambiguous.
func parse(b []byte) (*index, error) {
	var doc struct {
		Counties []County `json:"counties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Counties) == 0 {
		return nil, errors.New("no counties")
	}
	idx := &index{counties: doc.Counties, byName: make(map[string]*countyEntry, len(doc.Counties))}
	for i := range idx.counties {
		c := &idx.counties[i]
		key := Normalize(c.Name)
		if key == "" || idx.byName[key] != nil {
			return nil, fmt.Errorf("county %s %q: empty or repeated name", c.Code, c.Name)
		}
		ce := &countyEntry{county: c, towns: make(map[string]*townEntry, len(c.Townships))}
		idx.byName[key] = ce
		for j := range c.Townships {
			t := &c.Townships[j]
			tkey := Normalize(t.Name)
			if tkey == "" || ce.towns[tkey] != nil {
				return nil, fmt.Errorf("township %s %q: empty or repeated name", t.Code, t.Name)
			}
			te := &townEntry{town: t, villages: make(map[string]string, len(t.Villages))}
			ce.towns[tkey] = te
			for _, v := range t.Villages {
				vkey := Normalize(v)
				if _, dup := te.villages[vkey]; vkey == "" || dup {
					return nil, fmt.Errorf("township %s: village %q: empty or repeated name", t.Code, v)
				}
				te.villages[vkey] = v
			}
		}
	}
	return idx, nil
}

// Normalize prepares a place name entered by a user for lookup: it trims
// leading and trailing white space (the ideographic space U+3000 included)
// and writes 台 as 臺, so that "台北市 " becomes "臺北市". Its result is the
// official form of a county or township name, but not always of a village
// name (霧台村 would become 霧臺村): store the village as LookupVillage
// returns it.
func Normalize(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "台", "臺")
}

// OfficialOrder is the order in which the government lists the counties
// and cities (the special municipalities first, then the counties, the
// provincial cities and 福建省's two counties), the order a person looks
// for them in a list. The codes' order differs: it begins with 連江縣.
var OfficialOrder = []string{
	"臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市",
	"宜蘭縣", "新竹縣", "苗栗縣", "彰化縣", "南投縣", "雲林縣", "嘉義縣", "屏東縣", "臺東縣", "花蓮縣", "澎湖縣",
	"基隆市", "新竹市", "嘉義市",
	"金門縣", "連江縣",
}

// Counties returns every county and city in the official order
// (OfficialOrder); one the order does not name would follow in code order.
// The result is a copy, never nil, that the caller may modify.
func Counties() []County {
	src := data().counties
	out := make([]County, len(src))
	for i := range src {
		out[i] = cloneCounty(&src[i])
	}
	rank := make(map[string]int, len(OfficialOrder))
	for i, name := range OfficialOrder {
		rank[name] = i + 1
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank[out[i].Name], rank[out[j].Name]
		if ri == 0 || rj == 0 {
			return ri != 0 && rj == 0
		}
		return ri < rj
	})
	return out
}

// LookupCounty returns the county or city of the given name, accepting 台
// for 臺 and surrounding white space ("台中市" finds 臺中市). The result is a
// copy that the caller may modify.
func LookupCounty(name string) (*County, bool) {
	ce := data().byName[Normalize(name)]
	if ce == nil {
		return nil, false
	}
	c := cloneCounty(ce.county)
	return &c, true
}

// LookupTownship returns the township of the given name in the given
// county; both names are normalised as by Normalize. The result is a copy
// that the caller may modify.
func LookupTownship(county, township string) (*Township, bool) {
	te := lookupTown(county, township)
	if te == nil {
		return nil, false
	}
	t := cloneTownship(te.town)
	return &t, true
}

// LookupVillage returns the name of the village as the data writes it,
// when the village is in the given township of the given county: the form
// to store after Validate has accepted input that wrote 臺 for 台 or the
// reverse. All three names are normalised as by Normalize.
func LookupVillage(county, township, village string) (string, bool) {
	te := lookupTown(county, township)
	if te == nil {
		return "", false
	}
	name, ok := te.villages[Normalize(village)]
	return name, ok
}

// ZipOf returns the 3-digit postal code of the township in the given county,
// or "" when there is no such township.
func ZipOf(county, township string) string {
	te := lookupTown(county, township)
	if te == nil {
		return ""
	}
	return te.town.Zip
}

// Validate reports whether the village is in the township and the township
// in the county. Names are normalised as by Normalize; all three are
// required. It returns nil when the combination exists, and otherwise an
// error wrapping ErrCounty, ErrTownship or ErrVillage whose message says
// which part is wrong, checking the county first, then the township, then
// the village: 「請選擇縣市」, 「縣市「X」不存在」, 「請選擇鄉鎮市區」,
// 「X沒有「Y」這個鄉鎮市區」, 「請選擇村里」 or 「Y沒有「Z」這個村里」.
func Validate(county, township, village string) error {
	c, t, v := Normalize(county), Normalize(township), Normalize(village)
	if c == "" {
		return newErr(ErrCounty, "請選擇縣市")
	}
	ce := data().byName[c]
	if ce == nil {
		return newErr(ErrCounty, "縣市「%s」不存在", shown(c))
	}
	if t == "" {
		return newErr(ErrTownship, "請選擇鄉鎮市區")
	}
	te := ce.towns[t]
	if te == nil {
		return newErr(ErrTownship, "%s沒有「%s」這個鄉鎮市區", ce.county.Name, shown(t))
	}
	if v == "" {
		return newErr(ErrVillage, "請選擇村里")
	}
	if _, ok := te.villages[v]; !ok {
		return newErr(ErrVillage, "%s沒有「%s」這個村里", te.town.Name, shown(v))
	}
	return nil
}

func lookupTown(county, township string) *townEntry {
	ce := data().byName[Normalize(county)]
	if ce == nil {
		return nil
	}
	return ce.towns[Normalize(township)]
}

// maxShown is how many characters of a wrong value an error message
// repeats; no real name is longer.
const maxShown = 20

// shown makes user input safe to repeat in a message: valid UTF-8 and at
// most maxShown characters.
func shown(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= maxShown {
		return s
	}
	return string([]rune(s)[:maxShown]) + "…"
}

func cloneCounty(c *County) County {
	ts := make([]Township, len(c.Townships))
	for i := range c.Townships {
		ts[i] = cloneTownship(&c.Townships[i])
	}
	return County{Code: c.Code, Name: c.Name, Townships: ts}
}

func cloneTownship(t *Township) Township {
	return Township{Code: t.Code, Name: t.Name, Zip: t.Zip, Villages: slices.Clone(t.Villages)}
}
