package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

func TestAdminCreateStaff(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbFlag := "--database-url=sqlite:" + filepath.Join(dir, "fh.db")
	runOK := func(stdin string, args ...string) string {
		t.Helper()
		adminStdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		if code := run(ctx, append([]string{"admin"}, args...), &out, &errb); code != 0 {
			t.Fatalf("admin %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	out := runOK("", "create-staff", "--email", "boss@faxhaven.example", "--role=admin", dbFlag)
	m := regexp.MustCompile(`one-time password: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no one-time password printed:\n%s", out)
	}
	runOK("typed secret phrase\n", "create-staff", "--email", "help@faxhaven.example", "--role", "support", "--password-stdin", dbFlag)

	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "fh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := &staff.Service{DB: db, Clock: clock.NewManual(time.Now())}
	if boss, _, err := svc.Login(ctx, "boss@faxhaven.example", m[1], "127.0.0.1"); err != nil || !boss.MustChangePassword {
		t.Errorf("login with the printed password: %v; must change it: %v", err, boss != nil && boss.MustChangePassword)
	}
	if help, _, err := svc.Login(ctx, "help@faxhaven.example", "typed secret phrase", "127.0.0.1"); err != nil || help.MustChangePassword {
		t.Errorf("login with the password from stdin: %v", err)
	}
	list := runOK("", "list-staff", dbFlag)
	if !strings.Contains(list, "boss@faxhaven.example\tadmin\tactive") || !strings.Contains(list, "help@faxhaven.example\tsupport") {
		t.Errorf("list-staff:\n%s", list)
	}
	runOK("", "disable-staff", "--email", "help@faxhaven.example", dbFlag)
	if !strings.Contains(runOK("", "list-staff", dbFlag), "support\tdisabled") {
		t.Error("disabled member not shown as disabled")
	}

	for _, bad := range [][]string{
		{"create-staff", "--email", "x@faxhaven.example", "--role", "king", dbFlag},
		{"create-staff", "--role", "admin", dbFlag},
		{"create-staff", "--email", "boss@faxhaven.example", "--role", "admin", dbFlag},
		{"frobnicate", dbFlag},
	} {
		var out, errb bytes.Buffer
		if code := run(ctx, append([]string{"admin"}, bad...), &out, &errb); code == 0 {
			t.Errorf("admin %v succeeded", bad)
		} else if errb.Len() == 0 {
			t.Errorf("admin %v failed without a message", bad)
		}
	}
}
