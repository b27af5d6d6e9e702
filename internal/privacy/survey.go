package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Answer stores one survey response (Q1). It takes no account: answers are
// kept apart from identity, so they cannot be linked back to whoever gave
// them. Answering is voluntary; an empty response stores nothing.
func (s *Service) Answer(ctx context.Context, brandID int64, survey string, answers map[string]string) error {
	if strings.TrimSpace(survey) == "" {
		return errors.New("privacy: survey: name the survey")
	}
	clean := map[string]string{}
	for k, v := range answers {
		if v = strings.TrimSpace(v); v != "" {
			clean[k] = v
		}
	}
	if len(clean) == 0 {
		return nil
	}
	b, _ := json.Marshal(clean)
	// The time is kept to the day only, so it cannot be matched to a login.
	day := s.Clock.Now().UTC().Truncate(24 * 60 * 60 * 1e9)
	if _, err := s.DB.ExecContext(ctx, "INSERT INTO survey_answers (brand_id, survey, answers, at) VALUES ($1, $2, $3, $4)",
		brandID, survey, string(b), store.Micros(day)); err != nil {
		return fmt.Errorf("privacy: survey: %w", err)
	}
	return nil
}
