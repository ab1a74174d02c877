package main

import (
	"io"

	"github.com/multicert/multicert/internal/agent/hw"
	"github.com/multicert/multicert/internal/agent/pcsc"
)

// openPCSC establishes the PC/SC context.
func openPCSC() (hw.CardReader, io.Closer, error) {
	p, err := pcsc.New()
	if err != nil {
		return nil, nil, err
	}
	return p, p, nil
}
