package card_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multicert/multicert/internal/card"
)

// unhex decodes hex with optional spaces; it fails the test on bad input.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestCommandBytes(t *testing.T) {
	tests := []struct {
		name    string
		cmd     card.Command
		want    string
		wantErr bool
	}{
		{"case 1", card.Command{CLA: 0x00, INS: 0xA4, P1: 1, P2: 2, Le: card.LeAbsent}, "00 A4 01 02", false},
		{"case 2 Le 1", card.Command{INS: 0xB0, Le: 1}, "00 B0 00 00 01", false},
		{"case 2 Le 256 is 00", card.Command{INS: 0xB0, Le: 256}, "00 B0 00 00 00", false},
		{"case 2 Le 0 is 00", card.Command{INS: 0xB0, Le: 0}, "00 B0 00 00 00", false},
		{"case 3", card.Command{CLA: 0x80, INS: 0xA4, Data: []byte{0x3F, 0x00}, Le: card.LeAbsent}, "80 A4 00 00 02 3F 00", false},
		{"case 4", card.Command{INS: 0xCA, P1: 0x11, Data: []byte{0, 0}, Le: 256}, "00 CA 11 00 02 00 00 00", false},
		{"empty data is no data", card.Command{INS: 0xA4, Data: []byte{}, Le: card.LeAbsent}, "00 A4 00 00", false},
		{"255 data bytes", card.Command{INS: 0xD6, Data: make([]byte, 255), Le: card.LeAbsent}, "00 D6 00 00 FF" + strings.Repeat(" 00", 255), false},
		{"256 data bytes", card.Command{INS: 0xD6, Data: make([]byte, 256), Le: card.LeAbsent}, "", true},
		{"Le 257", card.Command{INS: 0xB0, Le: 257}, "", true},
		{"Le -2", card.Command{INS: 0xB0, Le: -2}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cmd.Bytes()
			if tt.wantErr {
				if err == nil || !errors.Is(err, card.ErrAPDU) {
					t.Fatalf("Bytes() = % X, %v; want an error wrapping ErrAPDU", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Bytes() error %v, want nil", err)
			}
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("Bytes() = % X, want % X", got, want)
			}
		})
	}
}

func TestCommandString(t *testing.T) {
	got := card.Command{CLA: 0x80, INS: 0xB0, P1: 0x15, Le: 200}.String()
	if want := "80 B0 15 00 C8"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (card.Command{Le: 999}).String(); !strings.Contains(got, "invalid") {
		t.Errorf("String() of an invalid command = %q, want it to say invalid", got)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    card.Command
		wantErr bool
	}{
		{"case 1", "00 A4 04 00", card.Command{INS: 0xA4, P1: 4, Le: card.LeAbsent}, false},
		{"case 2", "80 B0 15 00 C8", card.Command{CLA: 0x80, INS: 0xB0, P1: 0x15, Le: 200}, false},
		{"case 2 Le 00", "00 B0 00 00 00", card.Command{INS: 0xB0, Le: 256}, false},
		{"case 3", "80 A4 00 00 02 50 30", card.Command{CLA: 0x80, INS: 0xA4, Data: []byte{0x50, 0x30}, Le: card.LeAbsent}, false},
		{"case 4", "00 CA 11 00 02 00 00 00", card.Command{INS: 0xCA, P1: 0x11, Data: []byte{0, 0}, Le: 256}, false},
		{"too short", "00 A4 04", card.Command{}, true},
		{"empty", "", card.Command{}, true},
		{"Lc too large", "00 A4 00 00 05 01 02", card.Command{}, true},
		{"two trailing bytes", "00 A4 00 00 01 01 02 03", card.Command{}, true},
		{"extended length", "00 B0 00 00 00 01 00", card.Command{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := card.ParseCommand(unhex(t, tt.in))
			if tt.wantErr {
				if err == nil || !errors.Is(err, card.ErrAPDU) {
					t.Fatalf("ParseCommand(%s) = %+v, %v; want an error wrapping ErrAPDU", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommand(%s) error %v", tt.in, err)
			}
			if got.CLA != tt.want.CLA || got.INS != tt.want.INS || got.P1 != tt.want.P1 || got.P2 != tt.want.P2 ||
				got.Le != tt.want.Le || !bytes.Equal(got.Data, tt.want.Data) {
				t.Errorf("ParseCommand(%s) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseResponse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantData string
		wantSW   uint16
		wantErr  bool
	}{
		{"status only", "90 00", "", card.SWOK, false},
		{"data and status", "01 02 03 6A 82", "01 02 03", card.SWFileNotFound, false},
		{"one byte", "90", "", 0, true},
		{"empty", "", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			got, err := card.ParseResponse(in)
			if tt.wantErr {
				if err == nil || !errors.Is(err, card.ErrAPDU) {
					t.Fatalf("ParseResponse(%s) = %+v, %v; want an error wrapping ErrAPDU", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResponse(%s) error %v", tt.in, err)
			}
			if got.SW != tt.wantSW || !bytes.Equal(got.Data, unhex(t, tt.wantData)) {
				t.Errorf("ParseResponse(%s) = data % X SW %04X, want data %s SW %04X", tt.in, got.Data, got.SW, tt.wantData, tt.wantSW)
			}
			if back := got.Bytes(); !bytes.Equal(back, in) {
				t.Errorf("Bytes() = % X, want % X", back, in)
			}
			if gotOK := got.OK(); gotOK != (tt.wantSW == card.SWOK) {
				t.Errorf("OK() = %v, want %v", gotOK, tt.wantSW == card.SWOK)
			}
			if got.SW1() != byte(tt.wantSW>>8) || got.SW2() != byte(tt.wantSW) {
				t.Errorf("SW1, SW2 = %02X %02X, want %04X", got.SW1(), got.SW2(), tt.wantSW)
			}
		})
	}
}

func TestParseResponseCopies(t *testing.T) {
	in := []byte{1, 2, 0x90, 0x00}
	r, err := card.ParseResponse(in)
	if err != nil {
		t.Fatal(err)
	}
	in[0] = 9
	if r.Data[0] != 1 {
		t.Errorf("Data[0] = %d after changing the input, want 1 (Data must be a copy)", r.Data[0])
	}
}

func TestTriesLeft(t *testing.T) {
	tests := []struct {
		sw     uint16
		want   int
		wantOK bool
	}{
		{0x63C0, 0, true},
		{0x63C3, 3, true},
		{0x63CF, 15, true},
		{0x6300, 0, false},
		{0x9000, 0, false},
		{0x6983, 0, false},
	}
	for _, tt := range tests {
		got, ok := card.TriesLeft(tt.sw)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("TriesLeft(%04X) = %d, %v; want %d, %v", tt.sw, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestSWError(t *testing.T) {
	if err := card.SWError(card.SWOK); err != nil {
		t.Fatalf("SWError(9000) = %v, want nil", err)
	}
	tests := []struct {
		sw       uint16
		wantPart string
	}{
		{card.SWFileNotFound, "找不到"},
		{card.SWIncorrectP1P2, "參數"},
		{card.SWINSNotSupported, "不支援此指令"},
		{card.SWCLANotSupported, "類別"},
		{card.SWSecurityNotSatisfied, "PIN"},
		{card.SWAuthBlocked, "鎖卡"},
		{card.SWWrongLength, "長度"},
		{card.SWWrongP1P2, "超出"},
		{0x63C2, "還可嘗試 2 次"},
		{0x63C0, "已無剩餘"},
		{0x6F12, "卡片回應錯誤"},
	}
	for _, tt := range tests {
		err := card.SWError(tt.sw)
		var se *card.StatusError
		if !errors.As(err, &se) || se.SW != tt.sw {
			t.Fatalf("SWError(%04X) = %v, want a *StatusError with SW %04X", tt.sw, err, tt.sw)
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.wantPart) {
			t.Errorf("SWError(%04X) = %q, want it to contain %q", tt.sw, msg, tt.wantPart)
		}
		hexSW := strings.ToUpper(hex.EncodeToString([]byte{byte(tt.sw >> 8), byte(tt.sw)}))
		if !strings.Contains(msg, hexSW) {
			t.Errorf("SWError(%04X) = %q, want it to show %s", tt.sw, msg, hexSW)
		}
		if utf8.RuneCountInString(msg) == len(msg) {
			t.Errorf("SWError(%04X) = %q, want a Chinese message", tt.sw, msg)
		}
		if got := (card.Response{SW: tt.sw}).Err(); got == nil || got.Error() != msg {
			t.Errorf("Response.Err() = %v, want %q", got, msg)
		}
	}
}
