package privacy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// Every column of the migrated schema is declared, on both databases, and
// every identifying column says why it is kept (principle 5, RT1).
func TestPolicy_RT1_EveryColumnDeclared(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		schema, err := privacy.Schema(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(schema) < 20 {
			t.Fatalf("read only %d tables; the schema query is broken", len(schema))
		}
		for _, p := range privacy.Undeclared(schema) {
			t.Error(p)
		}
	})
	for _, tb := range privacy.Registry {
		if tb.Identifying() && (tb.Basis == privacy.NoBasis || tb.Retention == "") {
			t.Errorf("table %s holds personal data but has no legal basis or retention", tb.Name)
		}
		for _, c := range tb.Columns {
			if c.Category != privacy.None && strings.TrimSpace(c.Purpose) == "" {
				t.Errorf("column %s.%s has no purpose", tb.Name, c.Name)
			}
		}
	}
}

// The comparison itself notices a new column, a new table and a stale
// declaration.
func TestPolicy_RT1_UndeclaredColumnFails(t *testing.T) {
	schema := map[string][]string{}
	for _, tb := range privacy.Registry {
		for _, c := range tb.Columns {
			schema[tb.Name] = append(schema[tb.Name], c.Name)
		}
	}
	if p := privacy.Undeclared(schema); len(p) != 0 {
		t.Fatalf("registry disagrees with itself: %v", p)
	}
	schema["accounts"] = append(schema["accounts"], "date_of_birth")
	schema["pets"] = []string{"owner_name"}
	delete(schema, "survey_answers")
	p := strings.Join(privacy.Undeclared(schema), "\n")
	for _, want := range []string{"accounts.date_of_birth", "table pets", "table survey_answers is declared"} {
		if !strings.Contains(p, want) {
			t.Errorf("problems do not mention %q:\n%s", want, p)
		}
	}
}

// The privacy page explains every table that holds personal data, in
// every language (RT1).
func TestPolicy_RT1_PrivacyPageExplainsEveryTable(t *testing.T) {
	for _, tb := range privacy.Registry {
		if !tb.Identifying() || tb.Name == "staff" {
			continue
		}
		if !i18n.Has("privacy.table." + tb.Name) {
			t.Errorf("no catalog text privacy.table.%s: the privacy page cannot explain %s", tb.Name, tb.Name)
		}
	}
}
