package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
)

// privacyStaffRoutes registers the staff's privacy page (issue 7): the
// brand block list to review (J1), demographic aggregates (G1), flagging
// a child's account (K1), opening a fax's content on a ground (U2), and
// the notices that reach every user: service announcements (M2), policy
// changes (N1) and business transfers (B1). Each action checks the role;
// those that see personal data go through the audited door.
func (s *Server) privacyStaffRoutes(mux *http.ServeMux) {
	if s.Privacy == nil {
		return
	}
	mux.HandleFunc("GET /staff/privacy", s.requireStaff(s.privacyStaff))
	mux.HandleFunc("POST /staff/privacy/{action}", s.requireStaff(s.privacyStaffAction))
}

type privacyStaffData struct {
	Proposals  []privacy.BlockProposal
	Aggregates []*privacy.Aggregate
	Admin      bool
	Result     string // catalog key of the last action's outcome
}

func (s *Server) privacyStaff(w http.ResponseWriter, r *http.Request) {
	m := currentStaff(r)
	d := &privacyStaffData{Admin: m.Role == staff.Admin}
	if res := r.URL.Query().Get("result"); strings.HasPrefix(res, "privacy.staff.result.") {
		d.Result = res
	}
	brand := stateOf(r).brand
	if d.Admin {
		var err error
		if d.Proposals, err = s.Privacy.Proposals(r.Context(), brand.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, f := range []string{"gender", "occupation", "income_band"} {
			a, err := s.Privacy.Demographics(r.Context(), brand.ID, f)
			if err != nil {
				s.serverError(w, r, err)
				return
			}
			d.Aggregates = append(d.Aggregates, a)
		}
	}
	s.render(w, r, http.StatusOK, "privacy_staff", d)
}

func (s *Server) privacyStaffAction(w http.ResponseWriter, r *http.Request) {
	m := currentStaff(r)
	action := r.PathValue("action")
	if !s.parseForm(w, r) {
		return
	}
	f, ctx, brand := r.PostForm, r.Context(), stateOf(r).brand
	brandWide := map[string]bool{"review": true, "announce": true, "policy": true, "transfer": true}
	if brandWide[action] && !staff.Allowed(m.Role, staff.ActionRunPrivacy) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	var err error
	switch action {
	case "review":
		err = s.Privacy.Review(ctx, brand.ID, f.Get("sender"), f.Get("status"))
	case "child":
		var ids []int64
		if ids, err = s.Privacy.AccountIDs(ctx, brand.ID, []string{f.Get("account")}); err == nil && len(ids) == 1 {
			err = s.Privacy.FlagChild(ctx, m, ids[0], f.Get("ground"))
		}
	case "content":
		s.openContent(w, r, m)
		return
	case "announce":
		_, err = s.Privacy.Announce(ctx, brand.ID, f.Get("kind"), f.Get("subject"), f.Get("text"))
	case "policy":
		_, err = s.Privacy.NotifyPolicyChange(ctx, brand.ID, f.Get("version"), s.Accounts.URL(brand, "/policy"))
	case "transfer":
		var after time.Time
		if after, err = time.Parse("2006-01-02", f.Get("after")); err == nil {
			_, err = s.Privacy.AnnounceTransfer(ctx, m, brand.ID, f.Get("text"), after, s.Accounts.URL(brand, "/account/privacy"))
		}
	default:
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	result := "privacy.staff.result.done"
	switch {
	case errors.Is(err, staff.ErrForbidden):
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	case errors.Is(err, staff.ErrGroundRequired):
		result = "privacy.staff.result.ground"
	case err != nil:
		result = "privacy.staff.result.refused"
	}
	http.Redirect(w, r, "/staff/privacy?result="+result, http.StatusSeeOther)
}

// openContent shows a fax's PDF to staff on a recorded ground (U2).
func (s *Server) openContent(w http.ResponseWriter, r *http.Request, m *staff.Member) {
	f := r.PostForm
	fax, _ := strconv.ParseInt(f.Get("fax"), 10, 64)
	ids, err := s.Privacy.AccountIDs(r.Context(), stateOf(r).brand.ID, []string{f.Get("account")})
	if err != nil || len(ids) != 1 || fax <= 0 {
		http.Redirect(w, r, "/staff/privacy?result=privacy.staff.result.refused", http.StatusSeeOther)
		return
	}
	pdf, err := s.Privacy.OpenFaxContent(r.Context(), m, ids[0], fax, privacy.Ground(f.Get("ground")), f.Get("reference"))
	switch {
	case errors.Is(err, staff.ErrForbidden):
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
	case err != nil:
		http.Redirect(w, r, "/staff/privacy?result=privacy.staff.result.ground", http.StatusSeeOther)
	default:
		h := w.Header()
		h.Set("Content-Type", "application/pdf")
		h.Set("Cache-Control", "no-store")
		w.Write(pdf)
	}
}
