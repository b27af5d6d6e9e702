package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// benchPage measures serving one page through every middleware, without the
// network: brand lookup, session lookup and template rendering.
func benchPage(b *testing.B, path string, loggedIn bool) {
	db := storetest.Open(b, storetest.SQLiteURL(b))
	e := newEnv(b, db, false)
	var cookie *http.Cookie
	if loggedIn {
		e.Verified(b, "Bench User", "bench@example.org")
		br := e.browser(b)
		res := br.post("/login", url.Values{"email": {"bench@example.org"}, "password": {"correct horse battery"}})
		if cookie = cookieNamed(res, sessionCookie); cookie == nil {
			b.Fatal("no session cookie")
		}
	}
	h := e.Server.Handler()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
}

func BenchmarkHomePage(b *testing.B)     { benchPage(b, "/", false) }
func BenchmarkRegisterPage(b *testing.B) { benchPage(b, "/register", false) }
func BenchmarkAccountPage(b *testing.B)  { benchPage(b, "/account", true) }
