package privacy

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Profile is the part of an account a user corrects themselves (D1): name
// and the optional demographic answers, each "" for no answer. The email
// address is changed through its own confirmation flow, and the account
// number is the user's identifier, not data about them.
type Profile struct {
	Name       string
	Gender     string
	Occupation string
	IncomeBand string
}

// FieldError names the profile field that is wrong and the catalog key
// that says why.
type FieldError struct {
	Field, Key string
}

func (e *FieldError) Error() string {
	return "privacy: profile: " + e.Field + " is not valid (" + e.Key + ")"
}

func oneOf(v string, allowed []string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// CorrectProfile stores the user's corrections of their profile.
func (s *Service) CorrectProfile(ctx context.Context, accountID int64, p Profile) error {
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.Name == "":
		return &FieldError{"name", "err.name_required"}
	case utf8.RuneCountInString(p.Name) > 200:
		return &FieldError{"name", "err.name_long"}
	case !oneOf(p.Gender, accounts.Genders):
		return &FieldError{"gender", "err.choice_invalid"}
	case !oneOf(p.Occupation, accounts.Occupations):
		return &FieldError{"occupation", "err.choice_invalid"}
	case !oneOf(p.IncomeBand, accounts.IncomeBands):
		return &FieldError{"income_band", "err.choice_invalid"}
	}
	_, err := s.DB.ExecContext(ctx, `UPDATE accounts SET name = $1, gender = $2, occupation = $3, income_band = $4, updated_at = $5
		WHERE id = $6`, p.Name, p.Gender, p.Occupation, p.IncomeBand, store.Micros(s.Clock.Now()), accountID)
	if err != nil {
		return fmt.Errorf("privacy: correct profile: %w", err)
	}
	return nil
}
