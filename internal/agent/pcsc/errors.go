//go:build pcsc || windows

package pcsc

import (
	"context"
	"errors"
	"fmt"

	"github.com/ebfe/scard"

	"github.com/multicert/multicert/internal/agent"
	"github.com/multicert/multicert/internal/card"
)

// User-facing messages.
const (
	msgNoReader     = "找不到讀卡機，請確認讀卡機已連接到電腦"
	msgNoService    = "讀卡機服務（PC/SC）沒有執行，請確認讀卡機已連接到電腦、驅動程式已安裝"
	msgNoReaderName = "請選擇讀卡機"
	msgNoCard       = "讀卡機中沒有卡片，請插入健保卡或憑證卡"
	msgRemoved      = "卡片在讀取中被取出，請重新插入卡片後再試一次"
	msgReset        = "卡片在讀取中被其他程式重設，請再試一次"
	msgUnsupported  = "無法辨識的卡片，請確認插入的是健保卡、自然人憑證或工商憑證，且晶片朝上、方向正確"
	msgBusy         = "卡片正被其他程式使用，請關閉其他讀卡程式後再試一次"
)

var errRemoved = &agent.Error{Code: agent.ErrCardRemoved, Message: msgRemoved}

func errUnsupported(msg string) *agent.Error {
	return &agent.Error{Code: agent.ErrUnsupportedCard, Message: msg}
}

// mapErr turns an error from PC/SC or from a card into an *agent.Error.
// inTransaction tells whether a card connection was open: a card missing
// then was removed during the read. *agent.Error values and the context's
// errors pass through unchanged.
func mapErr(err error, inTransaction bool) error {
	if err == nil {
		return nil
	}
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ce *card.StatusError
	if errors.As(err, &ce) {
		return errUnsupported(fmt.Sprintf("卡片無法讀取：%s", ce.Error()))
	}
	var se scard.Error
	if !errors.As(err, &se) {
		return &agent.Error{Code: agent.ErrInternal, Message: "讀卡時發生錯誤"}
	}
	switch se {
	case scard.ErrNoReadersAvailable, scard.ErrReaderUnavailable:
		return &agent.Error{Code: agent.ErrNoReader, Message: msgNoReader}
	case scard.ErrUnknownReader:
		return &agent.Error{Code: agent.ErrNoReader, Message: "找不到指定的讀卡機，請重新選擇讀卡機"}
	case scard.ErrNoService, scard.ErrServiceStopped:
		return &agent.Error{Code: agent.ErrNoReader, Message: msgNoService}
	case scard.ErrNoSmartcard, scard.ErrRemovedCard:
		if inTransaction {
			return errRemoved
		}
		return &agent.Error{Code: agent.ErrNoCard, Message: msgNoCard}
	case scard.ErrResetCard:
		return &agent.Error{Code: agent.ErrCardRemoved, Message: msgReset}
	case scard.ErrUnpoweredCard, scard.ErrUnresponsiveCard, scard.ErrUnsupportedCard,
		scard.ErrCardUnsupported, scard.ErrProtoMismatch, scard.ErrInvalidAtr:
		return errUnsupported(msgUnsupported)
	case scard.ErrSharingViolation:
		return &agent.Error{Code: agent.ErrInternal, Message: msgBusy}
	}
	return &agent.Error{Code: agent.ErrInternal, Message: fmt.Sprintf("讀卡機發生錯誤（%08X），請重新插入卡片後再試一次", uint32(se))}
}
