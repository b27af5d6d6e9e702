package privacy

import (
	"context"
	"fmt"
)

// MinCell is the smallest number of people a shared statistic may count
// (G1); smaller cells are suppressed.
const MinCell = 10

// Cell is one value of a demographic field and how many people gave it.
type Cell struct {
	Value string
	Count int
}

// Aggregate is what partners may see of one demographic field: counts of
// at least MinCell people per value, and how many people were left out in
// cells too small to show.
type Aggregate struct {
	Field      string
	Cells      []Cell
	Suppressed int
}

// demographicFields are the fields Aggregate may count (C2).
var demographicFields = map[string]bool{"gender": true, "occupation": true, "income_band": true}

// Demographics counts a brand's active accounts by one demographic field
// (G1). Only people who gave the field are counted, and no cell below
// MinCell is shown; when exactly one cell would be suppressed it is
// folded into the suppressed count with the next smallest, so a total
// cannot be used to work it out by subtraction.
func (s *Service) Demographics(ctx context.Context, brandID int64, field string) (*Aggregate, error) {
	if !demographicFields[field] {
		return nil, fmt.Errorf("privacy: %q is not a demographic field; choose gender, occupation or income_band", field)
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT "+field+", COUNT(*) FROM accounts WHERE brand_id = $1 AND status = 'active' AND "+
		field+" <> '' AND "+field+" <> 'unsaid' GROUP BY "+field+" ORDER BY COUNT(*) DESC, "+field, brandID)
	if err != nil {
		return nil, fmt.Errorf("privacy: demographics: %w", err)
	}
	defer rows.Close()
	a := &Aggregate{Field: field}
	small := 0
	for rows.Next() {
		var c Cell
		if err := rows.Scan(&c.Value, &c.Count); err != nil {
			return nil, err
		}
		if c.Count < MinCell {
			a.Suppressed += c.Count
			small++
			continue
		}
		a.Cells = append(a.Cells, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if small == 1 && len(a.Cells) > 0 {
		// One hidden cell alone equals the total minus the rest: hide the
		// smallest shown cell too.
		last := a.Cells[len(a.Cells)-1]
		a.Cells = a.Cells[:len(a.Cells)-1]
		a.Suppressed += last.Count
	}
	return a, nil
}
