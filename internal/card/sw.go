package card

import "fmt"

// Status words (ISO 7816-4) that the cards and the emulator use.
const (
	SWOK                   uint16 = 0x9000 // normal processing
	SWEndOfFile            uint16 = 0x6282 // end of file reached before Le bytes were read
	SWWrongLength          uint16 = 0x6700 // wrong length (Lc or Le)
	SWSecurityNotSatisfied uint16 = 0x6982 // security status not satisfied (PIN not verified)
	SWAuthBlocked          uint16 = 0x6983 // authentication method blocked (PIN locked)
	SWNoCurrentEF          uint16 = 0x6986 // command not allowed: no current EF
	SWFileNotFound         uint16 = 0x6A82 // file or application not found
	SWIncorrectP1P2        uint16 = 0x6A86 // incorrect parameters P1-P2
	SWWrongP1P2            uint16 = 0x6B00 // wrong parameters P1-P2, e.g. offset outside the EF
	SWINSNotSupported      uint16 = 0x6D00 // instruction not supported
	SWCLANotSupported      uint16 = 0x6E00 // class not supported
	SWUnknown              uint16 = 0x6F00 // no precise diagnosis
)

// TriesLeft reports the retry counter of a 63Cx status word ("verification
// failed, x tries left"). ok is false for any other status word.
func TriesLeft(sw uint16) (n int, ok bool) {
	if sw&0xFFF0 != 0x63C0 {
		return 0, false
	}
	return int(sw & 0x000F), true
}

// StatusError is the error for a status word other than 9000. Its message
// is in Traditional Chinese and ends with the status word in hex.
type StatusError struct {
	SW uint16
}

func (e *StatusError) Error() string {
	if n, ok := TriesLeft(e.SW); ok {
		if n == 0 {
			return fmt.Sprintf("PIN 碼錯誤，已無剩餘嘗試次數（%04X）", e.SW)
		}
		return fmt.Sprintf("PIN 碼錯誤，還可嘗試 %d 次（%04X）", n, e.SW)
	}
	msg, ok := swMessages[e.SW]
	if !ok {
		switch e.SW >> 8 {
		case 0x61:
			msg = "卡片尚有回應資料待取回"
		case 0x6C:
			msg = "卡片指令的 Le 長度錯誤"
		default:
			msg = "卡片回應錯誤"
		}
	}
	return fmt.Sprintf("%s（%04X）", msg, e.SW)
}

var swMessages = map[uint16]string{
	SWEndOfFile:            "已讀到卡片檔案結尾",
	SWWrongLength:          "卡片指令長度錯誤",
	SWSecurityNotSatisfied: "卡片安全狀態不符，需先驗證 PIN 碼",
	SWAuthBlocked:          "卡片已鎖卡",
	SWNoCurrentEF:          "卡片目前沒有選取檔案",
	SWFileNotFound:         "卡片上找不到指定的檔案或應用程式",
	SWIncorrectP1P2:        "卡片指令參數錯誤",
	SWWrongP1P2:            "讀取位置超出卡片檔案範圍",
	SWINSNotSupported:      "卡片不支援此指令",
	SWCLANotSupported:      "卡片不支援此指令類別",
	SWUnknown:              "卡片發生無法判斷的錯誤",
}

// SWError returns nil for 9000 and a *StatusError with a Traditional
// Chinese message for any other status word.
func SWError(sw uint16) error {
	if sw == SWOK {
		return nil
	}
	return &StatusError{SW: sw}
}
