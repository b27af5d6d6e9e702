package web

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n")
		return
	}
	io.WriteString(w, "ok\n")
}

// metrics holds the portal's counters and histograms, written out in the
// Prometheus text exposition format (version 0.0.4).
type metrics struct {
	mu       sync.Mutex
	requests map[[3]string]uint64  // method, route, status class
	duration map[string]*histogram // route

	csrfRefused  atomic.Uint64
	logins       atomic.Uint64
	loginsFailed atomic.Uint64
	registered   atomic.Uint64
}

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[[3]string]uint64{}, duration: map[string]*histogram{}}
}

func (m *metrics) request(method, route string, status int, d time.Duration) {
	class := strconv.Itoa(status/100) + "xx"
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[3]string{method, route, class}]++
	h := m.duration[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets))}
		m.duration[route] = h
	}
	sec := d.Seconds()
	for i, b := range durationBuckets {
		if sec <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.count++
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// routeLabel keeps a route pattern usable as a label value.
var routeLabel = regexp.MustCompile(`[^A-Za-z0-9_/{}.$ -]`)

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP faxhaven_http_requests_total HTTP requests served by the portal.")
	fmt.Fprintln(w, "# TYPE faxhaven_http_requests_total counter")
	keys := make([][3]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], " ") < strings.Join(keys[j][:], " ") })
	for _, k := range keys {
		fmt.Fprintf(w, "faxhaven_http_requests_total{method=%q,route=\"%s\",code=%q} %d\n",
			k[0], labelEscaper.Replace(routeLabel.ReplaceAllString(k[1], "_")), k[2], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP faxhaven_http_request_duration_seconds Time to serve a portal request.")
	fmt.Fprintln(w, "# TYPE faxhaven_http_request_duration_seconds histogram")
	routes := make([]string, 0, len(m.duration))
	for r := range m.duration {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		h := m.duration[r]
		label := labelEscaper.Replace(routeLabel.ReplaceAllString(r, "_"))
		var cum uint64
		for i, b := range durationBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "faxhaven_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %d\n", label, strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "faxhaven_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", label, h.count)
		fmt.Fprintf(w, "faxhaven_http_request_duration_seconds_sum{route=\"%s\"} %s\n", label, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "faxhaven_http_request_duration_seconds_count{route=\"%s\"} %d\n", label, h.count)
	}
	for _, c := range []struct {
		name, help string
		v          uint64
	}{
		{"faxhaven_csrf_refused_total", "State-changing requests refused as cross-origin.", m.csrfRefused.Load()},
		{"faxhaven_logins_total", "Successful logins of users.", m.logins.Load()},
		{"faxhaven_login_failures_total", "Refused logins of users and staff.", m.loginsFailed.Load()},
		{"faxhaven_registrations_total", "Accounts registered.", m.registered.Load()},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.v)
	}
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}

// cssColor accepts #rgb, #rrggbb and plain colour names, so a brand's
// colour can never break out of its CSS declaration.
var cssColor = regexp.MustCompile(`^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$`)

// brandCSS serves the brand's colours as CSS custom properties. A
// stylesheet, not an inline style, so the CSP can forbid inline styles.
func (s *Server) brandCSS(w http.ResponseWriter, r *http.Request) {
	b := stateOf(r).brand
	primary, accent := "#1f4e79", "#c45500"
	if cssColor.MatchString(b.ColorPrimary) {
		primary = b.ColorPrimary
	}
	if cssColor.MatchString(b.ColorAccent) {
		accent = b.ColorAccent
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	fmt.Fprintf(w, ":root {\n  --brand: %s;\n  --accent: %s;\n}\n", primary, accent)
}
