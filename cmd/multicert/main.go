// Command multicert is the server of the 多憑證網路承保作業 system and its
// tools: serve (the default), migrate, demo, audit verify and checkpoint,
// db grant, staff, backup and version.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Taipei in static builds without a zoneinfo directory
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "multicert:", err)
		os.Exit(1)
	}
}
