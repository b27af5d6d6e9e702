package web

import (
	"net/http"
	"strings"

	"github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/staff"
)

// faxEmailStaffRoutes registers the administrators' page of what each
// brand's mail needs in DNS: the DKIM record its mail is signed with and
// the MX of its fax domain.
func (s *Server) faxEmailStaffRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /staff/email", s.requireStaff(s.staffEmailDNS))
}

type dnsRecord struct {
	Brand      string
	MailDomain string
	DKIMName   string
	DKIMValue  string
	FaxDomain  string
}

func (s *Server) staffEmailDNS(w http.ResponseWriter, r *http.Request) {
	if !staff.Allowed(currentStaff(r).Role, staff.ActionViewOutbox) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	list, err := s.Brands.List(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	// The keys live in the database, so these are the outbox's keys.
	keys := &mail.DKIMKeys{}
	var recs []dnsRecord
	for _, b := range list {
		_, domain, _ := strings.Cut(b.MailFrom, "@")
		domain = strings.TrimSuffix(domain, ">")
		k, err := keys.Key(r.Context(), s.DB, domain)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		name, value, err := k.DNSRecord()
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		recs = append(recs, dnsRecord{Brand: b.Name, MailDomain: domain, DKIMName: name, DKIMValue: value, FaxDomain: b.FaxDomain})
	}
	s.render(w, r, http.StatusOK, "fax_email_dkim", recs)
}
