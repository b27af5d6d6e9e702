package brands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Policy is one published version of a brand's privacy policy.
type Policy struct {
	BrandID     int64
	Version     string
	PublishedAt int64 // microseconds since the epoch, as stored
	Material    bool  // a material change users must be told about (N1)
	TextEN      string
	TextNL      string
}

// Text returns the policy in lang ("nl" or "en").
func (p *Policy) Text(lang string) string {
	if lang == "nl" {
		return p.TextNL
	}
	return p.TextEN
}

// CurrentPolicy returns the brand's most recently published policy.
func (s *Service) CurrentPolicy(ctx context.Context, brandID int64) (*Policy, error) {
	p := Policy{BrandID: brandID}
	err := s.DB.QueryRowContext(ctx, `SELECT version, published_at, material, text_en, text_nl
		FROM policy_versions WHERE brand_id = $1 ORDER BY published_at DESC, id DESC LIMIT 1`, brandID).
		Scan(&p.Version, &p.PublishedAt, &p.Material, &p.TextEN, &p.TextNL)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("brands: brand %d has no published policy: %w", brandID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("brands: current policy: %w", err)
	}
	return &p, nil
}

// PublishPolicy publishes a new policy version for a brand.
func (s *Service) PublishPolicy(ctx context.Context, p Policy) error {
	if p.Version == "" || p.TextEN == "" || p.TextNL == "" {
		return errors.New("brands: a policy needs a version and its text in English and Dutch")
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO policy_versions (brand_id, version, published_at, material, text_en, text_nl)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.BrandID, p.Version, store.Micros(s.Clock.Now()), p.Material, p.TextEN, p.TextNL)
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("brands: policy version %q: %w", p.Version, ErrPolicyExists)
	}
	if err != nil {
		return fmt.Errorf("brands: publish policy: %w", err)
	}
	return nil
}

// The first policy every new brand starts with. Faxhaven's own words.
const (
	firstPolicyVersion = "2026-11-1"
	firstPolicyEN      = `We run this fax service to carry your faxes and nothing else.
We keep your name, email address and account number so you can use the service and so we can reach you about it.
The content of your faxes is routed automatically and is never read by our staff, except when the law obliges us, to protect the service, or in an urgent threat to someone's safety; every such access is recorded with its reason.
We never sell or share your data, and we never share the numbers you upload for broadcasts.
Each kind of data is kept only as long as its purpose needs and then deleted automatically.
You can see, correct and delete your data from your profile at any time.`
	firstPolicyNL = `Wij draaien deze faxdienst om uw faxen te bezorgen, en voor niets anders.
Wij bewaren uw naam, e-mailadres en accountnummer zodat u de dienst kunt gebruiken en wij u erover kunnen bereiken.
De inhoud van uw faxen wordt automatisch doorgestuurd en nooit door onze medewerkers gelezen, behalve als de wet ons daartoe verplicht, om de dienst te beschermen, of bij een dringend gevaar voor iemands veiligheid; elke inzage wordt vastgelegd met de reden.
Wij verkopen of delen uw gegevens nooit, en ook niet de nummers die u uploadt voor rondzendingen.
Elk soort gegeven bewaren wij alleen zo lang als het doel vraagt; daarna wordt het automatisch verwijderd.
U kunt uw gegevens altijd inzien, verbeteren en verwijderen via uw profiel.`
)

// ensurePolicy publishes the first policy for a brand that has none.
func (s *Service) ensurePolicy(ctx context.Context, brandID int64) error {
	_, err := s.CurrentPolicy(ctx, brandID)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	err = s.PublishPolicy(ctx, Policy{BrandID: brandID, Version: firstPolicyVersion, TextEN: firstPolicyEN, TextNL: firstPolicyNL})
	if errors.Is(err, ErrPolicyExists) {
		return nil // another node published it at the same time
	}
	return err
}

// ErrPolicyExists is returned when a policy version is published twice.
var ErrPolicyExists = errors.New("brands: policy version is published already")
