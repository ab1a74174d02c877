package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/uptrace/bun"
	"golang.org/x/term"

	"github.com/multicert/multicert/internal/apperr"
	"github.com/multicert/multicert/internal/config"
	"github.com/multicert/multicert/models"
)

// staffFlags are the flags of `multicert staff …`.
type staffFlags struct {
	username, name, role, branch, email string
}

// cliActor is who the audit log names for a change made on the command
// line: the operating-system user, so that the first admin's creation has
// a name behind it.
func cliActor() models.Actor {
	who := os.Getenv("USER")
	if who == "" {
		who = "unknown"
	}
	return models.Actor{Kind: "system", Name: "command line (" + who + ")"}
}

// staffCommand runs `multicert staff add|list|disable|enable|reset-password`.
// Passwords are read from the terminal without echo, or from standard input
// when it is not a terminal; never from a flag or the environment.
func staffCommand(ctx context.Context, cfg *config.Config, sub string, f staffFlags, stdin io.Reader, out io.Writer, log *slog.Logger) error {
	switch sub {
	case "add", "list", "disable", "enable", "reset-password":
	default:
		return errors.New("staff: want add, list, disable, enable or reset-password")
	}
	keys, err := loadAuditKeys(cfg, true, log)
	if err != nil {
		return err
	}
	return withDB(ctx, cfg, true, func(db *bun.DB) error {
		store := models.NewStore(db)
		store.AuditKeys = keys
		switch sub {
		case "list":
			return listStaff(ctx, db, out)
		case "add":
			pw, err := readNewPassword(stdin, out)
			if err != nil {
				return err
			}
			st, err := store.AddStaff(ctx, cliActor(), models.StaffInput{Username: f.username, Name: f.name, Role: f.role,
				Branch: f.branch, Email: f.email}, pw, false)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(out, "added %s (%s, %s)\n", st.Username, st.Role, branchName(st.BranchCode))
			return nil
		}
		if f.username == "" {
			return fmt.Errorf("staff %s: name the account: multicert staff %s NAME", sub, sub)
		}
		st, err := models.StaffByUsername(ctx, db, f.username)
		if err != nil {
			return cliError(err)
		}
		switch sub {
		case "disable", "enable":
			status := models.StaffDisabled
			if sub == "enable" {
				status = models.StaffActive
			}
			if err := store.SetStaffStatus(ctx, cliActor(), st.ID, status); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(out, "%sd %s\n", sub, st.Username)
		case "reset-password":
			pw, err := readNewPassword(stdin, out)
			if err != nil {
				return err
			}
			if err := store.ResetStaffPassword(ctx, cliActor(), st.ID, pw); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(out, "password of %s reset; it must be changed at the next login\n", st.Username)
		}
		return nil
	})
}

func listStaff(ctx context.Context, db bun.IDB, out io.Writer) error {
	sts, err := models.ListStaff(ctx, db)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tNAME\tROLE\tBRANCH\tSTATUS\tLAST LOGIN")
	for _, st := range sts {
		last := "-"
		if st.LastLoginAt != nil {
			last = st.LastLoginAt.In(models.Taipei()).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Username, st.Name, st.Role, branchName(st.BranchCode), st.Status, last)
	}
	return w.Flush()
}

func branchName(code *string) string {
	if code == nil {
		return "署本部"
	}
	return models.BranchNames[*code]
}

// cliError turns a domain error into a line for the terminal: the message
// and, for invalid input, what each field needs.
func cliError(err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	msg := e.Message
	for k, v := range e.Fields {
		msg += "\n  " + k + ": " + v
	}
	return errors.New(msg)
}

// readNewPassword asks for a password twice on a terminal (no echo), or
// reads one line from stdin otherwise (scripts: `printf '%s\n' "$PW" |`).
func readNewPassword(stdin io.Reader, out io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(out, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		fmt.Fprint(out, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("staff: give the password on standard input (one line)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
