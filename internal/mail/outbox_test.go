package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/faxhaven/faxhaven/internal/jobs"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

type harness struct {
	db    *store.DB
	keys  *keys.Keyring
	queue *jobs.Queue
	out   *Outbox

	started bool
}

func newHarness(t *testing.T, db *store.DB, cfg Config) *harness {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	master := make([]byte, keys.KeySize)
	rand.Read(master)
	kr, err := keys.New(db, keys.Config{MasterKey: master})
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{
		Backoff:           jobs.Backoff{Initial: 20 * time.Millisecond, Max: 50 * time.Millisecond},
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := New(db, kr, q, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return &harness{db: db, keys: kr, queue: q, out: out}
}

func (h *harness) enqueue(t *testing.T, account int64, m *Message) int64 {
	t.Helper()
	var id int64
	err := h.db.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		id, err = h.out.EnqueueTx(context.Background(), tx, account, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// run starts the queue and waits until every delivery is done.
func (h *harness) run(t *testing.T) {
	t.Helper()
	if !h.started {
		// Start's context lives as long as the queue: cancelling it
		// stops the workers.
		if err := h.queue.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.started = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.queue.WaitIdle(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) get(t *testing.T, id int64) *Stored {
	t.Helper()
	m, err := h.out.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func relayConfig(r *relay) RelayConfig {
	return RelayConfig{Host: r.host, Port: r.port, TLS: NoTLS, HeloName: "faxhaven.test", Timeout: 2 * time.Second}
}

func sample() *Message {
	pdf := make([]byte, 5000)
	rand.Read(pdf)
	return &Message{
		From:    "Faxhaven <fax@faxhaven.example>",
		To:      []string{"Jan de Vries <jan@example.nl>", "office@example.org"},
		Subject: "Fax ontvangen van +31 20 555 0100 – 3 pagina’s",
		Text:    "U hebt een fax ontvangen.\nZie de bijlage.",
		HTML:    "<p>U hebt een fax ontvangen.</p>",
		Attachments: []Attachment{
			{Name: "fax-2026-11-26 één.pdf", ContentType: "application/pdf", Data: pdf},
		},
		Headers: map[string]string{"X-Faxhaven-Fax": "1234"},
	}
}

func TestRelayDeliversOnceWithExactEnvelope(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		h := newHarness(t, db, Config{Relay: relayConfig(r)})
		msg := sample()
		id := h.enqueue(t, 42, msg)
		h.run(t)

		got := r.deliveries()
		if len(got) != 1 {
			t.Fatalf("relay received %d messages, want 1", len(got))
		}
		d := got[0]
		if d.From != "fax@faxhaven.example" || !slices.Equal(d.To, []string{"jan@example.nl", "office@example.org"}) {
			t.Fatalf("envelope MAIL FROM %q RCPT TO %q, want fax@faxhaven.example to [jan@example.nl office@example.org]", d.From, d.To)
		}
		checkParsesBack(t, d.Data, msg)

		m := h.get(t, id)
		if m.Status != Sent || m.Attempts != 1 || m.SentAt.IsZero() || m.LastError != "" {
			t.Fatalf("stored message: status %s, %d attempts, sent at %v, last error %q; want sent once", m.Status, m.Attempts, m.SentAt, m.LastError)
		}
		if !bytes.Equal(m.Raw, d.Data) {
			t.Fatal("the stored message differs from what the relay received")
		}
		// Account mail is sealed at rest.
		var raw []byte
		var sealed bool
		db.QueryRow("SELECT raw, sealed FROM mail_messages WHERE id = $1", id).Scan(&raw, &sealed)
		if !sealed || bytes.Contains(raw, []byte("ontvangen")) || bytes.Contains(raw, []byte("jan@example.nl")) {
			t.Fatal("an account's message is stored in clear")
		}
	})
}

// checkParsesBack parses a delivered message with net/mail and
// mime/multipart and compares it with what was sent.
func checkParsesBack(t *testing.T, data []byte, want *Message) {
	t.Helper()
	pm, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v", err)
	}
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(pm.Header.Get("Subject")); err != nil || subj != want.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subj, err, want.Subject)
	}
	for _, h := range []string{"Date", "Message-Id", "Mime-Version"} {
		if pm.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if pm.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q, want auto-generated", pm.Header.Get("Auto-Submitted"))
	}
	if to, err := pm.Header.AddressList("To"); err != nil || len(to) != len(want.To) {
		t.Errorf("To parses to %v (%v)", to, err)
	}
	mt, params, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q, want multipart/mixed", pm.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	body, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	bt, bparams, _ := mime.ParseMediaType(body.Header.Get("Content-Type"))
	if bt != "multipart/alternative" {
		t.Fatalf("first part is %s, want multipart/alternative", bt)
	}
	alt := multipart.NewReader(body, bparams["boundary"])
	for _, w := range []struct{ ct, text string }{{"text/plain", want.Text}, {"text/html", want.HTML}} {
		p, err := alt.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != w.ct {
			t.Errorf("alternative part %s, want %s", ct, w.ct)
		}
		if got := strings.ReplaceAll(string(b), "\r\n", "\n"); got != w.text {
			t.Errorf("%s body %q, want %q", w.ct, got, w.text)
		}
	}
	att, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if att.FileName() != want.Attachments[0].Name {
		t.Errorf("attachment file name %q, want %q", att.FileName(), want.Attachments[0].Name)
	}
	_, ctParams, _ := mime.ParseMediaType(att.Header.Get("Content-Type"))
	if name, _ := dec.DecodeHeader(ctParams["name"]); name != want.Attachments[0].Name {
		t.Errorf("attachment Content-Type name %q, want %q", name, want.Attachments[0].Name)
	}
	content, err := io.ReadAll(att) // multipart undoes quoted-printable only
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := decodeBase64(content)
	if err != nil {
		t.Fatalf("attachment body: %v", err)
	}
	if !bytes.Equal(decoded, want.Attachments[0].Data) {
		t.Error("attachment bytes differ from what was attached")
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("extra part after the attachment: %v", err)
	}
}

func TestRecipientRefusedPermanently(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		r.refuse = func(to string, n int) error {
			if to == "gone@example.org" {
				return errPerm
			}
			return nil
		}
		h := newHarness(t, db, Config{Relay: relayConfig(r)})
		msg := &Message{From: "fax@faxhaven.example", To: []string{"ok@example.org", "gone@example.org"}, Subject: "s", Text: "t"}
		id := h.enqueue(t, 0, msg)
		h.run(t)
		m := h.get(t, id)
		if m.Status != Failed || !strings.Contains(m.LastError, "550") || !strings.Contains(m.LastError, "no such user here") {
			t.Fatalf("status %s, last error %q; want failed with the relay's 550 reply", m.Status, m.LastError)
		}
		if n := r.rcptCount("gone@example.org"); n != 1 {
			t.Fatalf("refused recipient was tried %d times, want 1 (no retry after 5xx)", n)
		}
		if len(r.deliveries()) != 0 {
			t.Fatal("a message with a refused recipient was delivered in part")
		}
	})
}

func TestRecipientDeferredThenDelivered(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		r.refuse = func(to string, n int) error {
			if n == 1 {
				return errTemp
			}
			return nil
		}
		h := newHarness(t, db, Config{Relay: relayConfig(r)})
		id := h.enqueue(t, 0, &Message{From: "fax@faxhaven.example", To: []string{"busy@example.org"}, Subject: "s", Text: "t"})
		h.run(t)
		m := h.get(t, id)
		if m.Status != Sent || m.Attempts != 2 {
			t.Fatalf("status %s after %d attempts (last error %q), want sent on the 2nd", m.Status, m.Attempts, m.LastError)
		}
		if n := len(r.deliveries()); n != 1 {
			t.Fatalf("relay received %d copies, want 1", n)
		}
	})
}

func TestSilentRelayIsRetried(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		rc := relayConfig(r)
		rc.Host, rc.Port = silentFirst(t, r.addr)
		rc.Timeout = 500 * time.Millisecond
		h := newHarness(t, db, Config{Relay: rc})
		id := h.enqueue(t, 0, &Message{From: "fax@faxhaven.example", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
		h.run(t)
		m := h.get(t, id)
		// The first attempt must time out; a loaded machine may add more.
		if m.Status != Sent || m.Attempts < 2 {
			t.Fatalf("status %s after %d attempts (last error %q), want sent after a timed-out first attempt", m.Status, m.Attempts, m.LastError)
		}
		if len(r.deliveries()) != 1 {
			t.Fatalf("relay received %d copies, want 1", len(r.deliveries()))
		}
	})
}

func TestStartTLSWithAuth(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		serverTLS, roots := testCert(t)
		r := startRelay(t, serverTLS)
		r.users = map[string]string{"faxhaven": "s3cret"}
		rc := relayConfig(r)
		rc.TLS = StartTLSRequired
		rc.TLSConfig = &tls.Config{RootCAs: roots}
		rc.Username, rc.Password = "faxhaven", "s3cret"
		h := newHarness(t, db, Config{Relay: rc})
		id := h.enqueue(t, 0, &Message{From: "fax@faxhaven.example", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
		h.run(t)
		if m := h.get(t, id); m.Status != Sent {
			t.Fatalf("status %s (last error %q), want sent", m.Status, m.LastError)
		}
		d := r.deliveries()
		if len(d) != 1 || !d[0].TLS || d[0].User != "faxhaven" {
			t.Fatalf("deliveries %+v, want one over TLS authenticated as faxhaven", d)
		}
	})
}

func TestStartTLSRequiredButMissing(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	r := startRelay(t, nil) // offers no STARTTLS
	rc := relayConfig(r)
	rc.TLS = StartTLSRequired
	h := newHarness(t, db, Config{Relay: rc, MaxAttempts: 2})
	id := h.enqueue(t, 0, &Message{From: "fax@faxhaven.example", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
	h.run(t)
	m := h.get(t, id)
	if m.Status != Failed || !strings.Contains(m.LastError, "STARTTLS") || !strings.Contains(m.LastError, "gave up after 2 attempts") {
		t.Fatalf("status %s, last error %q; want failed after 2 attempts naming STARTTLS", m.Status, m.LastError)
	}
	if r.rcptCount("a@example.org") != 0 {
		t.Fatal("the envelope went out in clear although TLS is required")
	}
}

func TestWrongPasswordIsRetriedNotFailed(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	serverTLS, roots := testCert(t)
	r := startRelay(t, serverTLS)
	r.users = map[string]string{"faxhaven": "right"}
	rc := relayConfig(r)
	rc.TLS = StartTLSRequired
	rc.TLSConfig = &tls.Config{RootCAs: roots}
	rc.Username, rc.Password = "faxhaven", "wrong"
	h := newHarness(t, db, Config{Relay: rc, MaxAttempts: 3})
	id := h.enqueue(t, 0, &Message{From: "fax@faxhaven.example", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
	h.run(t)
	m := h.get(t, id)
	if m.Attempts != 3 || !strings.Contains(m.LastError, "535") {
		t.Fatalf("%d attempts, last error %q; want 3 attempts ending in the relay's 535", m.Attempts, m.LastError)
	}
}

func TestPasswordNeverInClear(t *testing.T) {
	_, err := New(nil, nil, nil, Config{Relay: RelayConfig{Host: "smtp.example.org", TLS: NoTLS, Username: "u", Password: "p"}})
	if err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("New with a password and no TLS: err = %v, want a refusal", err)
	}
}

func TestLocalOutboxKeepsMessages(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, Config{})
		msg := sample()
		accountMail := h.enqueue(t, 7, msg)
		systemMail := h.enqueue(t, 0, &Message{From: "Faxhaven <admin@faxhaven.example>", To: []string{"ops@example.org"}, Subject: "Disk nearly full", Text: "90%"})
		h.run(t)

		list, err := h.out.List(context.Background(), Filter{Status: Kept})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != systemMail || list[1].ID != accountMail {
			t.Fatalf("List(kept) = %+v, want both messages, newest first", list)
		}
		if list[1].Subject != msg.Subject || !slices.Equal(list[1].Recipients, []string{"jan@example.nl", "office@example.org"}) {
			t.Errorf("summary %+v does not match the message", list[1])
		}
		only7, err := h.out.List(context.Background(), Filter{AccountID: 7})
		if err != nil || len(only7) != 1 || only7[0].ID != accountMail {
			t.Errorf("List(account 7) = %+v, %v", only7, err)
		}
		if page, _ := h.out.List(context.Background(), Filter{BeforeID: systemMail}); len(page) != 1 || page[0].ID != accountMail {
			t.Errorf("List(before %d) = %+v", systemMail, page)
		}
		if none, _ := h.out.List(context.Background(), Filter{Status: Sent}); len(none) != 0 {
			t.Errorf("List(sent) = %+v, want none", none)
		}
		checkParsesBack(t, h.get(t, accountMail).Raw, msg)
		var raw []byte
		db.QueryRow("SELECT raw FROM mail_messages WHERE id = $1", systemMail).Scan(&raw)
		if !bytes.Contains(raw, []byte("Disk nearly full")) {
			t.Error("mail without an account should be stored as is")
		}

		// The subject of account mail names a third party: only its
		// sealed form is stored.
		var clearSubject string
		var sealedSubject []byte
		db.QueryRow("SELECT subject, subject_sealed FROM mail_messages WHERE id = $1", accountMail).Scan(&clearSubject, &sealedSubject)
		if clearSubject != "" || len(sealedSubject) == 0 || bytes.Contains(sealedSubject, []byte("+31")) {
			t.Errorf("account mail subject stored as %q / %q, want only sealed", clearSubject, sealedSubject)
		}

		// Crypto-shredding reaches the outbox.
		if err := h.keys.Destroy(context.Background(), 7); err != nil {
			t.Fatal(err)
		}
		left, err := h.out.List(context.Background(), Filter{})
		if err != nil {
			t.Fatalf("List after Destroy: %v", err)
		}
		if len(left) != 2 || !left[1].Shredded || left[1].Subject != "" || left[0].Shredded || left[0].Subject != "Disk nearly full" {
			t.Fatalf("List after Destroy = %+v, want the account's message shredded and the other intact", left)
		}
		if _, err := h.out.Get(context.Background(), accountMail); !errors.Is(err, keys.ErrKeyDestroyed) {
			t.Fatalf("Get after Destroy: err = %v, want keys.ErrKeyDestroyed", err)
		}
		if _, err := h.out.Get(context.Background(), 999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(999): err = %v, want ErrNotFound", err)
		}
	})
}

func TestEnqueueRollsBackWithCaller(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db, Config{})
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.out.EnqueueTx(ctx, tx, 3, sample()); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		for _, table := range []string{"mail_messages", "river_job", "account_keys"} {
			var n int
			db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
			if n != 0 {
				t.Errorf("%s has %d rows after a rolled-back enqueue, want 0", table, n)
			}
		}
	})
}

func TestDestroyedKeyBeforeDelivery(t *testing.T) {
	db := storetest.Open(t, storetest.SQLiteURL(t))
	r := startRelay(t, nil)
	h := newHarness(t, db, Config{Relay: relayConfig(r)})
	id := h.enqueue(t, 8, sample())
	if err := h.keys.Destroy(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	h.run(t)
	if len(r.deliveries()) != 0 {
		t.Fatal("a message of a shredded account was delivered")
	}
	list, _ := h.out.List(context.Background(), Filter{})
	if len(list) != 1 || list[0].ID != id || list[0].Status != Failed {
		t.Fatalf("outbox %+v, want the message failed", list)
	}
	c, _ := h.queue.Client()
	jl, err := c.JobList(context.Background(), nil)
	if err != nil || len(jl.Jobs) != 1 || jl.Jobs[0].State != rivertype.JobStateCancelled {
		t.Fatalf("delivery job %+v (%v), want one cancelled job", jl, err)
	}
}

func TestSentMessageIsNeverSentAgain(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		r := startRelay(t, nil)
		h := newHarness(t, db, Config{Relay: relayConfig(r)})
		id := h.enqueue(t, 5, &Message{From: "fax@faxhaven.example", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
		h.run(t)
		// A second delivery job for the same message, as a rescued or
		// duplicated job would be.
		if _, err := h.queue.Insert(context.Background(), deliverArgs{MessageID: id}, nil); err != nil {
			t.Fatal(err)
		}
		h.run(t)
		if n := len(r.deliveries()); n != 1 {
			t.Fatalf("relay received %d copies, want 1", n)
		}
		if m := h.get(t, id); m.Status != Sent || m.Attempts != 1 {
			t.Fatalf("status %s after %d attempts, want sent after 1", m.Status, m.Attempts)
		}
	})
}
