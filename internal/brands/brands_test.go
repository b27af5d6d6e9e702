package brands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestBrandSelectionByHost(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &brands.Service{DB: db, Clock: clock.NewManual(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}
		def, err := s.EnsureDefault(ctx, "localhost", "fax.localhost")
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.EnsureDefault(ctx, "localhost", "fax.localhost")
		if err != nil || again.ID != def.ID {
			t.Fatalf("EnsureDefault twice: %v, id %d vs %d", err, again.ID, def.ID)
		}
		clinic, err := s.Create(ctx, brands.Brand{Slug: "clinic", Name: "ClinicFax", Host: "Fax.Clinic.example", FaxDomain: "mail.clinic.example"})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			host string
			want int64
		}{
			{"fax.clinic.example", clinic.ID},
			{"FAX.CLINIC.EXAMPLE:8080", clinic.ID},
			{"fax.clinic.example.", clinic.ID},
			{"localhost:8080", def.ID},
			{"unknown.example", def.ID},
		}
		for _, tt := range tests {
			b, err := s.ForHost(ctx, tt.host)
			if err != nil || b.ID != tt.want {
				t.Errorf("ForHost(%q) = %v, %v; want brand %d", tt.host, b, err, tt.want)
			}
		}
		if _, err := s.Create(ctx, brands.Brand{Slug: "clinic2", Name: "X", Host: "fax.clinic.example", FaxDomain: "x.example"}); err == nil {
			t.Error("a second brand with the same host was accepted")
		}
		b, err := s.ByFaxDomain(ctx, "MAIL.clinic.example")
		if err != nil || b.ID != clinic.ID {
			t.Errorf("ByFaxDomain = %v, %v", b, err)
		}
	})
}

func TestDefaultBrandHasAPolicy(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mc := clock.NewManual(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		s := &brands.Service{DB: db, Clock: mc}
		def, err := s.EnsureDefault(ctx, "localhost", "fax.localhost")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CurrentPolicy(ctx, def.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.TextEN == "" || p.TextNL == "" || p.Text("nl") == p.Text("en") {
			t.Fatalf("policy texts missing or identical: %+v", p)
		}
		mc.Advance(time.Hour)
		if err := s.PublishPolicy(ctx, brands.Policy{BrandID: def.ID, Version: "v2", TextEN: "e", TextNL: "n", Material: true}); err != nil {
			t.Fatal(err)
		}
		p, err = s.CurrentPolicy(ctx, def.ID)
		if err != nil || p.Version != "v2" || !p.Material {
			t.Fatalf("current policy after publishing v2 = %+v, %v", p, err)
		}
		err = s.PublishPolicy(ctx, brands.Policy{BrandID: def.ID, Version: "v2", TextEN: "e", TextNL: "n"})
		if !errors.Is(err, brands.ErrPolicyExists) {
			t.Fatalf("publishing v2 twice: %v", err)
		}
	})
}
