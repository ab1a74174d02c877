package cardemu_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/multicert/multicert/internal/card"
	"github.com/multicert/multicert/internal/cardemu"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// send transmits cmd (hex) and splits the answer.
func send(t *testing.T, c cardemu.Card, cmd string) card.Response {
	t.Helper()
	r, err := card.ParseResponse(c.Transmit(unhex(t, cmd)))
	if err != nil {
		t.Fatalf("Transmit(%s): %v", cmd, err)
	}
	return r
}

var wang = card.NHIBasic{
	CardNo: "000012345678",
	Name:   "王小明",
	IDNo:   "A123456789",
	Birth:  time.Date(1979, 1, 1, 0, 0, 0, 0, time.UTC),
	Sex:    "M",
	Issued: time.Date(2019, 12, 11, 0, 0, 0, 0, time.UTC),
}

func TestNHICard(t *testing.T) {
	want, err := card.EncodeNHIBasic(wang)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		card     cardemu.Card
		cmd      string
		wantSW   uint16
		wantData []byte
	}{
		{"select", cardemu.NewNHICard(wang), card.SelectNHI.String(), card.SWOK, nil},
		{"select answered 6D00", cardemu.NewNHICard(wang, cardemu.WithSelectSW(card.SWINSNotSupported)), card.SelectNHI.String(), card.SWINSNotSupported, nil},
		{"read", cardemu.NewNHICard(wang), card.ReadNHIBasic.String(), card.SWOK, want},
		{"read on a 6D00 card", cardemu.NewNHICard(wang, cardemu.WithSelectSW(card.SWINSNotSupported)), card.ReadNHIBasic.String(), card.SWOK, want},
		{"read with Le", cardemu.NewNHICard(wang), "00 CA 11 00 02 00 00 00", card.SWOK, want},
		{"other AID", cardemu.NewNHICard(wang), "00 A4 04 00 02 A0 00", card.SWFileNotFound, nil},
		{"select by file id", cardemu.NewNHICard(wang), "00 A4 00 00 02 3F 00", card.SWIncorrectP1P2, nil},
		{"HiCOS class", cardemu.NewNHICard(wang), card.SelectMF.String(), card.SWCLANotSupported, nil},
		{"unknown instruction", cardemu.NewNHICard(wang), "00 B0 00 00 10", card.SWINSNotSupported, nil},
		{"read other tag", cardemu.NewNHICard(wang), "00 CA 12 00 02 00 00", card.SWIncorrectP1P2, nil},
		{"malformed APDU", cardemu.NewNHICard(wang), "00 A4 04 00 05 01", card.SWWrongLength, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, tt.card, tt.cmd)
			if got.SW != tt.wantSW || !bytes.Equal(got.Data, tt.wantData) {
				t.Errorf("Transmit(%s) = % X SW %04X, want % X SW %04X", tt.cmd, got.Data, got.SW, tt.wantData, tt.wantSW)
			}
		})
	}
}

func TestNHICardParses(t *testing.T) {
	c := cardemu.NewNHICard(wang)
	r := send(t, c, card.ReadNHIBasic.String())
	got, err := card.ParseNHIBasic(r.Data)
	want := wang
	want.NameRaw = []byte{0xA4, 0xFD, 0xA4, 0x70, 0xA9, 0xFA}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseNHIBasic(answer) = %+v, %v; want %+v", got, err, want)
	}
	if atr := c.ATR(); !bytes.Equal(atr, cardemu.DefaultNHIATR) {
		t.Errorf("ATR() = % X, want % X", atr, cardemu.DefaultNHIATR)
	}
	other := []byte{0x3B, 0x00}
	if atr := cardemu.NewNHICard(wang, cardemu.WithATR(other)).ATR(); !bytes.Equal(atr, other) {
		t.Errorf("ATR() with WithATR = % X, want % X", atr, other)
	}
}

// TestNHICardWithGovernmentMadeCharacter: a card can hold a name with a 造字
// (NameRaw), which reads back as U+FFFD with the raw bytes.
func TestNHICardWithGovernmentMadeCharacter(t *testing.T) {
	p := wang
	p.NameRaw = []byte{0xA4, 0xFD, 0xC6, 0xA1, 0xA9, 0xFA} // 王, C6A1 (area 2), 明
	r := send(t, cardemu.NewNHICard(p), card.ReadNHIBasic.String())
	got, err := card.ParseNHIBasic(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "王\ufffd明" || !bytes.Equal(got.NameRaw, p.NameRaw) || !got.NameHasUserDefined {
		t.Errorf("ParseNHIBasic(answer) name = %q, % X, %v; want %q, % X, true", got.Name, got.NameRaw, got.NameHasUserDefined, "王\ufffd明", p.NameRaw)
	}
}

func TestNewNHICardPanicsOnBadData(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewNHICard with an 11-digit card number did not panic")
		}
	}()
	bad := wang
	bad.CardNo = "1"
	cardemu.NewNHICard(bad)
}

func TestNHICardRaw(t *testing.T) {
	raw := []byte("not basic data")
	got := send(t, cardemu.NewNHICardRaw(raw), card.ReadNHIBasic.String())
	if !got.OK() || !bytes.Equal(got.Data, raw) {
		t.Errorf("read = % X SW %04X, want % X SW 9000", got.Data, got.SW, raw)
	}
}

func TestT1ATR(t *testing.T) {
	atr := cardemu.T1ATR("ABC")
	want := []byte{0x3B, 0x83, 0x81, 0x01, 'A', 'B', 'C'}
	var tck byte
	for _, b := range want[1:] {
		tck ^= b
	}
	want = append(want, tck)
	if !bytes.Equal(atr, want) {
		t.Errorf("T1ATR(ABC) = % X, want % X", atr, want)
	}
	if got := cardemu.T1ATR(strings.Repeat("x", 20)); len(got) != 4+15+1 {
		t.Errorf("T1ATR of 20 bytes has length %d, want 20 (15 historical bytes)", len(got))
	}
	if got := card.TypeFromATR(cardemu.DefaultNHIATR); got != card.TypeUnknown {
		t.Errorf("TypeFromATR(DefaultNHIATR) = %q, want unknown", got)
	}
}

// testCert returns a DER certificate of about size bytes.
func testCert(t testing.TB, size int) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "王小明"},
		Issuer:       pkix.Name{CommonName: "test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if pad := size - len(der) - 20; pad > 0 {
		tmpl.ExtraExtensions = []pkix.Extension{{Id: []int{1, 3, 6, 1, 4, 1, 99999, 1}, Value: bytes.Repeat([]byte{0x05}, pad)}}
		if der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key); err != nil {
			t.Fatal(err)
		}
	}
	return der
}

// readAll follows the HiCOS read path on c with class cla and returns the
// bytes of the user certificate slot read in chunks.
func readCert(t *testing.T, c cardemu.Card, cla byte, n int) []byte {
	t.Helper()
	var out []byte
	for off := 0; off < n; off += card.MaxReadChunk {
		cmd, err := card.ReadBinary(cla, card.CertSlotUser2+off, min(card.MaxReadChunk, n-off))
		if err != nil {
			t.Fatal(err)
		}
		r := send(t, c, cmd.String())
		if !r.OK() {
			t.Fatalf("%s: SW %04X", cmd, r.SW)
		}
		out = append(out, r.Data...)
	}
	return out
}

func TestCertCardReadPath(t *testing.T) {
	der := testCert(t, 1500)
	c := cardemu.NewCertCard(der, card.TypeCitizenCert, "TP00000012345678")
	for _, cmd := range []card.Command{card.SelectMF, card.SelectPKIDF, card.SelectCertEF} {
		if r := send(t, c, cmd.String()); !r.OK() || len(r.Data) != 0 {
			t.Fatalf("%s = % X SW %04X, want no data and 9000", cmd, r.Data, r.SW)
		}
	}
	first := readCert(t, c, card.CLAHiCOS, 4)
	n, err := card.CertLength(first)
	if err != nil || n != len(der) {
		t.Fatalf("CertLength(first 4 bytes) = %d, %v; want %d", n, err, len(der))
	}
	if got := readCert(t, c, card.CLAHiCOS, n); !bytes.Equal(got, der) {
		t.Errorf("read %d bytes, not the certificate", len(got))
	}
	if got := c.ATR(); !bytes.Equal(got, card.ATRMOICA) {
		t.Errorf("citizen card ATR = % X, want ATRMOICA", got)
	}
	if got := cardemu.NewCertCard(der, card.TypeBusinessCert, "").ATR(); !bytes.Equal(got, cardemu.DefaultHiCOSATR) {
		t.Errorf("business card ATR = % X, want DefaultHiCOSATR", got)
	}
}

func TestCertCardSerialAndVersion(t *testing.T) {
	c := cardemu.NewCertCard(testCert(t, 0), card.TypeBusinessCert, "MT000001")
	for _, cmd := range []card.Command{card.SelectMF, card.SelectFile(card.CLAHiCOS, card.FileInfoDF), card.SelectFile(card.CLAHiCOS, card.FileSerialEF)} {
		if r := send(t, c, cmd.String()); !r.OK() {
			t.Fatalf("%s: SW %04X", cmd, r.SW)
		}
	}
	r := send(t, c, "80 B0 00 00 10")
	if want := "MT000001        "; !r.OK() || string(r.Data) != want {
		t.Errorf("serial = %q SW %04X, want %q 9000", r.Data, r.SW, want)
	}
	send(t, c, card.SelectFile(card.CLAHiCOS, card.FileVersionEF).String())
	r = send(t, c, "80 B0 00 00 14")
	if !r.OK() || !bytes.HasPrefix(r.Data, []byte("CHT V32N")) || len(r.Data) != 20 {
		t.Errorf("version = %q SW %04X, want 20 bytes starting CHT V32N", r.Data, r.SW)
	}
}

func TestCertCardErrors(t *testing.T) {
	der := testCert(t, 0)
	size := card.CertSlotUser2 + card.CertSlotSize
	tests := []struct {
		name     string
		gen2     bool
		cmds     []string // all but the last must succeed
		wantSW   uint16
		wantData int // expected data length
	}{
		{"CLA 00 on a first-generation card", false, []string{"00 A4 00 00 02 3F 00"}, card.SWCLANotSupported, 0},
		{"DF before MF", false, []string{card.SelectPKIDF.String()}, card.SWFileNotFound, 0},
		{"EF in the wrong DF", false, []string{card.SelectMF.String(), card.SelectCertEF.String()}, card.SWFileNotFound, 0},
		{"unknown file", false, []string{card.SelectMF.String(), "80 A4 00 00 02 50 15"}, card.SWFileNotFound, 0},
		{"read with no EF", false, []string{card.SelectMF.String(), "80 B0 00 00 04"}, card.SWNoCurrentEF, 0},
		{"read past the end", false, []string{card.SelectMF.String(), card.SelectPKIDF.String(), card.SelectCertEF.String(), "80 B0 1C 00 10"}, card.SWWrongP1P2, 0},
		{"read across the end", false, []string{card.SelectMF.String(), card.SelectPKIDF.String(), card.SelectCertEF.String(), "80 B0 1B F8 10"}, card.SWEndOfFile, size - 0x1BF8},
		{"short EF addressing", false, []string{card.SelectMF.String(), card.SelectPKIDF.String(), card.SelectCertEF.String(), "80 B0 81 00 10"}, card.SWIncorrectP1P2, 0},
		{"read without Le", false, []string{card.SelectMF.String(), card.SelectPKIDF.String(), card.SelectCertEF.String(), "80 B0 00 00"}, card.SWWrongLength, 0},
		{"unknown instruction", false, []string{"80 20 00 01 00"}, card.SWINSNotSupported, 0},
		{"gen 2: CLA 80", true, []string{card.SelectMF.String()}, card.SWCLANotSupported, 0},
		{"gen 2: file before applet", true, []string{"00 A4 00 00 02 50 30"}, card.SWFileNotFound, 0},
		{"gen 2: other AID", true, []string{"00 A4 04 0C 02 A0 00"}, card.SWFileNotFound, 0},
		{"gen 1: gen 2 AID", false, []string{"80 A4 04 0C 02 A0 00"}, card.SWFileNotFound, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cardemu.Card
			if tt.gen2 {
				c = cardemu.NewCertCard(der, card.TypeCitizenCert, "", cardemu.WithGen2())
			} else {
				c = cardemu.NewCertCard(der, card.TypeCitizenCert, "")
			}
			for _, cmd := range tt.cmds[:len(tt.cmds)-1] {
				if r := send(t, c, cmd); !r.OK() {
					t.Fatalf("%s: SW %04X, want 9000", cmd, r.SW)
				}
			}
			last := tt.cmds[len(tt.cmds)-1]
			if r := send(t, c, last); r.SW != tt.wantSW || len(r.Data) != tt.wantData {
				t.Errorf("%s = %d bytes SW %04X, want %d bytes SW %04X", last, len(r.Data), r.SW, tt.wantData, tt.wantSW)
			}
		})
	}
}

func TestCertCardGen2(t *testing.T) {
	der := testCert(t, 1200)
	c := cardemu.NewCertCard(der, card.TypeCitizenCert, "", cardemu.WithGen2())
	for _, cmd := range []card.Command{card.SelectHiCOSGen2, card.SelectFile(card.CLAHiCOSGen2, card.FilePKIDF), card.SelectFile(card.CLAHiCOSGen2, card.FileCertEF)} {
		if r := send(t, c, cmd.String()); !r.OK() {
			t.Fatalf("%s: SW %04X", cmd, r.SW)
		}
	}
	if got := readCert(t, c, card.CLAHiCOSGen2, len(der)); !bytes.Equal(got, der) {
		t.Errorf("gen 2 read %d bytes, not the certificate", len(got))
	}
}

func TestCertCardReset(t *testing.T) {
	c := cardemu.NewCertCard(testCert(t, 0), card.TypeCitizenCert, "")
	for _, cmd := range []card.Command{card.SelectMF, card.SelectPKIDF, card.SelectCertEF} {
		send(t, c, cmd.String())
	}
	c.(cardemu.Resetter).Reset()
	if r := send(t, c, "80 B0 15 00 04"); r.SW != card.SWNoCurrentEF {
		t.Errorf("read after Reset: SW %04X, want %04X", r.SW, card.SWNoCurrentEF)
	}
}

func TestNewCertCardPanics(t *testing.T) {
	tests := []struct {
		name   string
		der    []byte
		serial string
	}{
		{"certificate too large", make([]byte, 0x8000-card.CertSlotUser2+1), ""},
		{"serial too long", []byte{0x30, 0x00}, strings.Repeat("1", 17)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCertCard did not panic")
				}
			}()
			cardemu.NewCertCard(tt.der, card.TypeCitizenCert, tt.serial)
		})
	}
}
