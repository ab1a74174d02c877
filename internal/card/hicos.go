package card

import (
	"errors"
	"fmt"
)

// HiCOS PKI cards (Chunghwa Telecom HiCOS, used for 自然人憑證 and 工商憑證).
//
// The read path below is not an official specification; it is what public
// reverse-engineering of the cards and of the official HiCOS PKCS#11 module
// shows, and it is best effort. PKCS#11 remains the authority, in particular
// for signing.
//
// First-generation cards (version string "CHT V32N" and earlier) reject
// CLA 00 with 6E00: SELECT and READ BINARY use the proprietary class 80.
// All certificates sit in one EF, 3F00/5030/08F2, in slots of 0x700 bytes;
// the user's certificates are in the last two slots. The card serial
// (卡號) is 16 ASCII bytes in 3F00/0900/0903.
//
// Second-generation cards first need their PKI applet selected by AID
// (HiCOSGen2AID); after it, SELECT and READ BINARY use CLA 00 and the same
// file identifiers. This path is less well documented than the first.

// Class bytes of the HiCOS card generations.
const (
	CLAHiCOS     byte = 0x80 // first-generation cards
	CLAHiCOSGen2 byte = 0x00 // second-generation cards, after SelectHiCOSGen2
)

// File identifiers on HiCOS cards.
const (
	FileMF        uint16 = 0x3F00 // master file
	FilePKIDF     uint16 = 0x5030 // proprietary PKCS#15 DF
	FileCertEF    uint16 = 0x08F2 // certificate data EF, under FilePKIDF
	FileInfoDF    uint16 = 0x0900 // card information DF, under FileMF
	FileSerialEF  uint16 = 0x0903 // card serial, 16 ASCII bytes, under FileInfoDF
	FileVersionEF uint16 = 0x0905 // card OS version string such as "CHT V32N", under FileInfoDF
)

// Slots of the certificate EF: each certificate starts at one of these
// offsets. The user's certificates are in CertSlotUser1 and CertSlotUser2,
// one to sign and one to encrypt on two-certificate cards. Which is which
// is not documented (public analyses suggest 1 is the encryption and 2 the
// signature certificate; other accounts say the first signs), so readers
// read both and choose by key usage (agent.ChooseSigning), never by slot.
const (
	CertSlotRootCA   = 0x0000
	CertSlotIssuerCA = 0x0700
	CertSlotUser1    = 0x0E00
	CertSlotUser2    = 0x1500
	CertSlotSize     = 0x0700
)

// SerialLen is the length of the card serial in FileSerialEF.
const SerialLen = 16

// MaxReadChunk is the most bytes read with one READ BINARY, as the HiCOS
// middleware does.
const MaxReadChunk = 200

// MaxBinaryOffset is the largest offset READ BINARY can address with a
// 15-bit offset in P1-P2 (the top bit of P1 selects short EF addressing).
const MaxBinaryOffset = 0x7FFF

// HiCOSGen2AID is the AID of the PKI applet on second-generation HiCOS cards.
var HiCOSGen2AID = []byte{0xA0, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00, 0x06,
	0x22, 0x01, 0x69, 0x64, 0x00, 0x01, 0x01, 0x01}

// The first-generation HiCOS read path:
// SelectMF, SelectPKIDF, SelectCertEF, then ReadBinary(CLAHiCOS, ...).
var (
	// SelectMF is 80 A4 00 00 02 3F 00.
	SelectMF = SelectFile(CLAHiCOS, FileMF)
	// SelectPKIDF is 80 A4 00 00 02 50 30.
	SelectPKIDF = SelectFile(CLAHiCOS, FilePKIDF)
	// SelectCertEF is 80 A4 00 00 02 08 F2.
	SelectCertEF = SelectFile(CLAHiCOS, FileCertEF)
	// SelectHiCOSGen2 selects the PKI applet of second-generation cards:
	// 00 A4 04 0C 10 A0 00 00 02 83 00 00 06 22 01 69 64 00 01 01 01.
	SelectHiCOSGen2 = Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x0C, Data: HiCOSGen2AID, Le: LeAbsent}
)

// SelectFile returns the SELECT of a file by its identifier among the
// children of the current DF (P1 00, P2 00, no Le): cla A4 00 00 02 hi lo.
func SelectFile(cla byte, fid uint16) Command {
	return Command{CLA: cla, INS: 0xA4, P1: 0x00, P2: 0x00, Data: []byte{byte(fid >> 8), byte(fid)}, Le: LeAbsent}
}

// ReadBinary returns the READ BINARY of n bytes (1 to 256) at offset (0 to
// MaxBinaryOffset) of the current EF: cla B0 offHi offLo n.
func ReadBinary(cla byte, offset, n int) (Command, error) {
	if offset < 0 || offset > MaxBinaryOffset {
		return Command{}, apduErr("讀取位置 %d 超出範圍", offset)
	}
	if n < 1 || n > MaxLe {
		return Command{}, apduErr("讀取長度 %d 超出範圍", n)
	}
	return Command{CLA: cla, INS: 0xB0, P1: byte(offset >> 8), P2: byte(offset), Le: n}, nil
}

// MaxCertLen is the largest certificate CertLength accepts: what READ
// BINARY can address.
const MaxCertLen = MaxBinaryOffset + 1

// ErrNoCert is wrapped by the errors of CertLength.
var ErrNoCert = errors.New("卡片上沒有可讀取的憑證")

// CertLength returns the total length in bytes (header included) of the
// DER certificate that prefix begins with, from its outer SEQUENCE header.
// prefix needs only the header: 2 to 4 bytes. Lengths must use the minimal
// DER form; an erased slot (FF FF ..., 00 00 ...), indefinite lengths,
// empty sequences and certificates longer than MaxCertLen are errors.
func CertLength(prefix []byte) (int, error) {
	if len(prefix) < 2 {
		return 0, fmt.Errorf("%w：資料不足以判斷憑證長度", ErrNoCert)
	}
	if prefix[0] != 0x30 {
		return 0, fmt.Errorf("%w：資料開頭不是 DER SEQUENCE（%02X）", ErrNoCert, prefix[0])
	}
	l := prefix[1]
	if l < 0x80 {
		if l == 0 {
			return 0, fmt.Errorf("%w：憑證內容是空的", ErrNoCert)
		}
		return 2 + int(l), nil
	}
	nLen := int(l & 0x7F)
	if nLen == 0 || nLen > 2 {
		// 80 is indefinite (not DER); three or more length bytes exceed MaxCertLen.
		return 0, fmt.Errorf("%w：憑證長度欄位無效（%02X）", ErrNoCert, l)
	}
	if len(prefix) < 2+nLen {
		return 0, fmt.Errorf("%w：資料不足以判斷憑證長度", ErrNoCert)
	}
	n := 0
	for _, c := range prefix[2 : 2+nLen] {
		n = n<<8 | int(c)
	}
	if n < 0x80 || (nLen == 2 && n < 0x100) {
		return 0, fmt.Errorf("%w：憑證長度不是最短的 DER 編碼", ErrNoCert)
	}
	total := 2 + nLen + n
	if total > MaxCertLen {
		return 0, fmt.Errorf("%w：憑證長度 %d 超過 %d 位元組", ErrNoCert, total, MaxCertLen)
	}
	return total, nil
}
