package main

import (
	"context"
	"strings"

	"github.com/multicert/multicert/internal/agent"
)

// readerFilter hides the readers whose name lacks a text: the user picks
// the reader to use when several are plugged in.
type readerFilter struct {
	agent.Backend
	contains string
}

func filterReaders(b agent.Backend, contains string) agent.Backend {
	return &readerFilter{Backend: b, contains: contains}
}

func (f *readerFilter) Readers(ctx context.Context) ([]agent.ReaderStatus, error) {
	all, err := f.Backend.Readers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]agent.ReaderStatus, 0, len(all))
	for _, r := range all {
		if strings.Contains(r.Name, f.contains) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *readerFilter) check(reader string) error {
	if !strings.Contains(reader, f.contains) {
		return &agent.Error{Code: agent.ErrNoReader, Message: "找不到指定的讀卡機「" + reader + "」。"}
	}
	return nil
}

func (f *readerFilter) Read(ctx context.Context, reader string) (*agent.CardData, error) {
	if err := f.check(reader); err != nil {
		return nil, err
	}
	return f.Backend.Read(ctx, reader)
}

func (f *readerFilter) Sign(ctx context.Context, reader, pin string, digest []byte) (*agent.Signature, error) {
	if err := f.check(reader); err != nil {
		return nil, err
	}
	return f.Backend.Sign(ctx, reader, pin, digest)
}
