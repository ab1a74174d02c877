package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/multicert/multicert/models"
	"github.com/multicert/multicert/models/modelstest"
)

// SQLite's read pool sees what the writer committed, reads while a write
// transaction is open (it would queue behind it on the writer's one
// connection), and refuses writes.
func TestOpenReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := modelstest.MustOpenSQLite(t)
	reads, err := models.OpenReads(ctx, db, 4)
	if err != nil || reads == nil {
		t.Fatalf("OpenReads: %v, %v", reads, err)
	}
	defer reads.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE reads_test (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		n, err := reads.NewSelect().Table("reads_test").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if _, err := db.ExecContext(ctx, "INSERT INTO reads_test (x) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != before+1 {
		t.Fatalf("the read pool sees %d rows after a commit, want %d", got, before+1)
	}
	if _, err := reads.ExecContext(ctx, "DELETE FROM reads_test"); err == nil {
		t.Error("a write through the read pool succeeded")
	}
	// A write transaction holds the writer's one connection; reads go on.
	started, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO reads_test (x) VALUES (2)"); err != nil {
				t.Error(err)
			}
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	done := make(chan int64, 1)
	go func() { done <- count() }()
	select {
	case n := <-done:
		if n != before+1 {
			t.Errorf("read during a write: %d rows, want %d (the uncommitted one unseen)", n, before+1)
		}
	case <-time.After(3 * time.Second):
		t.Error("a read waited for an open write transaction")
	}
	close(release)
}
