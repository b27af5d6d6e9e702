package faxes_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/fax/tiff"
	"github.com/faxhaven/faxhaven/internal/blobs"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/jobs"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// world is a service with two accounts on the loopback carrier.
type world struct {
	db         *store.DB
	svc        *faxes.Service
	queue      *jobs.Queue
	mail       *mailbox
	blobDir    string
	alice, bob int64
	aliceNum   string
	bobNum     string
}

// mailbox records the emails the service queues, in the caller's
// transaction like the real outbox.
type mailbox struct {
	mu   sync.Mutex
	sent []*faxes.Email
}

func (m *mailbox) EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, e *faxes.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, e)
	return nil
}

type queueAdapter struct{ q *jobs.Queue }

func (a queueAdapter) InsertTx(ctx context.Context, tx *sql.Tx, args faxes.JobArgs) error {
	_, err := a.q.InsertTx(ctx, tx, args.(river.JobArgs), nil)
	return err
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	clk := clock.System{}
	b := &brands.Service{DB: db, Clock: clk}
	brand, err := b.EnsureDefault(ctx, "localhost", "fax.localhost")
	if err != nil {
		t.Fatal(err)
	}
	nums := &numbers.Service{DB: db, Clock: clk}
	if err := nums.AddPool(ctx, brand.ID, "+3197010", "loopback", 10); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, mail: &mailbox{}, blobDir: filepath.Join(t.TempDir(), "blobs")}
	w.alice, w.aliceNum = newAccount(t, db, nums, brand.ID, "alice")
	w.bob, w.bobNum = newAccount(t, db, nums, brand.ID, "bob")

	store, err := blobs.Open(blobs.Config{Dir: w.blobDir})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.New(db, keys.Config{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(db, jobs.Config{
		Backoff:           jobs.Backoff{Initial: 10 * time.Millisecond, Max: 20 * time.Millisecond},
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		Kinds:             map[string]jobs.KindPolicy{faxes.SendJob{}.Kind(): {MaxAttempts: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.queue = q
	w.svc = &faxes.Service{
		DB: db, Clock: clk, Content: keys.Blobs{Store: store, Keys: kr}, Queue: queueAdapter{q}, Mail: w.mail,
		Numbers: nums, Brands: b, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Render:    render.Options{CacheDir: filepath.Join(os.TempDir(), "faxhaven-render-test-cache")},
		MaxUpload: 1 << 20, MaxPages: 20, SendAttempts: 2,
	}
	w.svc.Carrier = &carrier.Loopback{
		Owns: func(ctx context.Context, n string) (bool, error) {
			_, err := nums.Lookup(ctx, n)
			if errors.Is(err, numbers.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
		Sink:  w.svc,
		Clock: clk,
	}
	if err := jobs.Register(q, river.Worker[faxes.SendJob](&faxes.SendWorker{Service: w.svc})); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })
	return w
}

func newAccount(t *testing.T, db *store.DB, nums *numbers.Service, brandID int64, name string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	var id int64
	var num *numbers.Number
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (brand_id, account_number, name, email, password_hash, marketing_opt_in,
			policy_version, policy_accepted_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', FALSE, 'v1', 1, 1, 1) RETURNING id`,
			brandID, "acct-"+name, name, name+"@example.org").Scan(&id)
		if err != nil {
			return err
		}
		num, err = nums.AssignTx(ctx, tx, brandID, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, num.E164
}

func (w *world) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.queue.WaitIdle(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
}

func (w *world) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := w.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFaxBetweenTwoAccounts(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		sent, err := w.svc.Send(ctx, w.alice, faxes.SendRequest{
			To:        w.bobNum,
			Files:     []faxes.Upload{{Name: "letter.txt", Data: []byte("Dear Bob,\n\nThe results are attached.\nGroeten, Alice\n")}},
			CoverNote: "Two pages: this cover and the letter.",
		})
		if err != nil {
			t.Fatal(err)
		}
		if sent.Status != faxes.Queued || sent.Pages != 2 || sent.RemoteNumber != w.bobNum || sent.LocalNumber != w.aliceNum {
			t.Fatalf("queued fax = %+v", sent)
		}
		w.settle(t)

		got, err := w.svc.Get(ctx, w.alice, sent.ID)
		if err != nil || got.Status != faxes.Delivered || got.Attempts != 1 || got.CompletedAt.IsZero() {
			t.Fatalf("sent fax after the queue settled = %+v, %v", got, err)
		}
		inbox, err := w.svc.List(ctx, w.bob, faxes.In, 0, 10)
		if err != nil || len(inbox) != 1 {
			t.Fatalf("bob's inbox = %v, %v", inbox, err)
		}
		in := inbox[0]
		if in.Status != faxes.Received || in.RemoteNumber != w.aliceNum || in.Pages != 2 || in.LocalNumber != w.bobNum {
			t.Fatalf("received fax = %+v", in)
		}
		// The pages bob received are exactly the pages alice sent.
		sentPDF, _, err := w.svc.PDF(ctx, w.alice, sent.ID)
		if err != nil {
			t.Fatal(err)
		}
		recvPDF, _, err := w.svc.PDF(ctx, w.bob, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(recvPDF, []byte("%PDF-")) || !bytes.Contains(recvPDF, []byte("/CCITTFaxDecode")) {
			t.Fatalf("received PDF does not wrap fax data: %.60q", recvPDF)
		}
		if !bytes.Equal(pdfImages(sentPDF), pdfImages(recvPDF)) {
			t.Error("the PDF of the received fax shows other pixels than the one sent")
		}
		// Fax to email: one message to bob with the PDF attached.
		if len(w.mail.sent) != 1 {
			t.Fatalf("%d emails queued, want 1", len(w.mail.sent))
		}
		m := w.mail.sent[0]
		if m.To != "bob@example.org" || len(m.Attachments) != 1 || !bytes.Equal(m.Attachments[0].Data, recvPDF) ||
			!strings.Contains(m.Subject, w.aliceNum) {
			t.Fatalf("fax email = to %q subject %q, %d attachments", m.To, m.Subject, len(m.Attachments))
		}
		// Nobody sees another account's fax.
		if _, err := w.svc.Get(ctx, w.bob, sent.ID); !errors.Is(err, faxes.ErrNotFound) {
			t.Errorf("bob reading alice's sent fax: %v", err)
		}
		if _, _, err := w.svc.PDF(ctx, w.alice, in.ID); !errors.Is(err, faxes.ErrNotFound) {
			t.Errorf("alice reading bob's received fax: %v", err)
		}
		if err := w.svc.Delete(ctx, w.alice, in.ID); !errors.Is(err, faxes.ErrNotFound) {
			t.Errorf("alice deleting bob's fax: %v", err)
		}
		// Deleting removes the fax and its content.
		if err := w.svc.Delete(ctx, w.bob, in.ID); err != nil {
			t.Fatal(err)
		}
		if inbox, _ := w.svc.List(ctx, w.bob, faxes.In, 0, 10); len(inbox) != 0 {
			t.Errorf("inbox after delete has %d faxes", len(inbox))
		}
		if _, _, err := w.svc.PDF(ctx, w.bob, in.ID); !errors.Is(err, faxes.ErrNotFound) {
			t.Errorf("PDF of a deleted fax: %v", err)
		}
	})
}

// pdfImages returns the image streams of a PDF written by fax/pdf, in
// order, so two PDFs can be compared pixel data for pixel data.
func pdfImages(pdf []byte) []byte {
	var out []byte
	for {
		i := bytes.Index(pdf, []byte("/CCITTFaxDecode"))
		if i < 0 {
			return out
		}
		pdf = pdf[i:]
		s := bytes.Index(pdf, []byte("stream"))
		e := bytes.Index(pdf, []byte("endstream"))
		if s < 0 || e < s {
			return out
		}
		out = append(out, pdf[s:e]...)
		pdf = pdf[e:]
	}
}

func TestSendRefusesBadInputAndKeepsNothing(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		text := []faxes.Upload{{Name: "a.txt", Data: []byte("hello")}}
		tests := []struct {
			name string
			req  faxes.SendRequest
			code string
		}{
			{"wrong number", faxes.SendRequest{To: "12345", Files: text}, "fax.err.number_no_country"},
			{"letters in number", faxes.SendRequest{To: "+31 20 FAX", Files: text}, "fax.err.number_characters"},
			{"nothing", faxes.SendRequest{To: w.bobNum}, "fax.err.nothing_to_send"},
			{"empty file", faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "empty.pdf"}}}, "fax.err.file_empty"},
			{"too large", faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "big.txt", Data: bytes.Repeat([]byte("a"), 2<<20)}}}, "fax.err.upload_too_large"},
			{"unsupported", faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "x.zip", Data: []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00")}}}, "fax.err.file_type"},
			{"corrupt PDF", faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "x.pdf", Data: []byte("%PDF-1.4\nthis is not a pdf")}}}, "fax.err.file_unreadable"},
			{"too many pages", faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "long.txt", Data: bytes.Repeat([]byte("page\f"), 30)}}}, "fax.err.too_many_pages"},
			{"cover note too long", faxes.SendRequest{To: w.bobNum, CoverNote: strings.Repeat("é", faxes.MaxCoverNote+1)}, "fax.err.note_too_long"},
		}
		for _, tt := range tests {
			_, err := w.svc.Send(ctx, w.alice, tt.req)
			var fe *faxes.Error
			if !errors.As(err, &fe) || fe.Code != tt.code {
				t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
			}
		}
		if n := w.count(t, "faxes"); n != 0 {
			t.Errorf("%d faxes stored after refused requests", n)
		}
		if n := w.count(t, "fax_files"); n != 0 {
			t.Errorf("%d fax files stored after refused requests", n)
		}
		if files, _ := filepath.Glob(filepath.Join(w.blobDir, "*", "*")); len(files) != 0 {
			t.Errorf("blobs left after refused requests: %v", files)
		}
	})
}

func TestSendIsIdempotent(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		req := faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("once")}}, IdempotencyKey: "form-123"}
		a, err := w.svc.Send(ctx, w.alice, req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Send(ctx, w.alice, req)
		if err != nil || b.ID != a.ID {
			t.Fatalf("second send with the same key = %v, %v; want fax %d", b, err, a.ID)
		}
		w.settle(t)
		if inbox, _ := w.svc.List(ctx, w.bob, faxes.In, 0, 10); len(inbox) != 1 {
			t.Fatalf("bob received %d faxes, want 1", len(inbox))
		}
	})
}

func TestDeliverTwiceKeepsOne(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		f, err := w.svc.Send(ctx, w.alice, faxes.SendRequest{To: w.bobNum, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("x")}}})
		if err != nil {
			t.Fatal(err)
		}
		w.settle(t)
		// Replay the same call, as a carrier does after a crash before it
		// learned the result.
		res, err := w.svc.Carrier.Send(ctx, &carrier.Outbound{CallID: "fax-" + strconv.FormatInt(f.ID, 10), From: w.aliceNum, To: w.bobNum, Pages: pagesOf(t, w, f.ID)})
		if err != nil || res.Status != carrier.Delivered {
			t.Fatalf("replay: %+v, %v", res, err)
		}
		if inbox, _ := w.svc.List(ctx, w.bob, faxes.In, 0, 10); len(inbox) != 1 {
			t.Fatalf("after a replayed call bob has %d faxes, want 1", len(inbox))
		}
		if len(w.mail.sent) != 1 {
			t.Fatalf("after a replayed call %d emails were queued, want 1", len(w.mail.sent))
		}
	})
}

// pagesOf reads a sent fax's stored pages.
func pagesOf(t *testing.T, w *world, id int64) []*page.Page {
	t.Helper()
	var key string
	if err := w.db.QueryRow("SELECT blob_key FROM fax_files WHERE fax_id = $1", id).Scan(&key); err != nil {
		t.Fatal(err)
	}
	rc, err := w.svc.Content.Get(context.Background(), w.alice, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	pages, err := tiff.Read(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestRetryPolicy sends to a number that does not exist: by default that
// fails at once; an operator who retries that outcome gets every attempt.
func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name     string
		retryOn  func(carrier.Status) bool
		attempts int
	}{
		{"default: not retried", nil, 1},
		{"retried when configured", func(st carrier.Status) bool { return st == carrier.NoSuchNumber }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.EachDB(t, func(t *testing.T, db *store.DB) {
				w := newWorld(t, db)
				w.svc.RetryOn = tt.retryOn
				ctx := context.Background()
				f, err := w.svc.Send(ctx, w.alice, faxes.SendRequest{To: "+31970109999", Files: []faxes.Upload{{Name: "a.txt", Data: []byte("hi")}}})
				if err != nil {
					t.Fatal(err)
				}
				w.settle(t)
				got, err := w.svc.Get(ctx, w.alice, f.ID)
				if err != nil || got.Status != faxes.Failed || got.ReasonCode != "no_such_number" || got.Attempts != tt.attempts {
					t.Errorf("fax = %+v, %v; want failed no_such_number after %d attempts", got, err, tt.attempts)
				}
			})
		})
	}
}

// TestSendingAddressBelongsToOneAccount: once an address may send faxes
// by email for one account, no other account of the brand can claim it,
// or its mail would become the other account's faxes.
func TestSendingAddressBelongsToOneAccount(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		if err := w.svc.AddSender(ctx, w.alice, "Alice <alice@clinic.example>"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ address, code string }{
			{"ALICE@Clinic.example", "email.err.sender_taken"},
			{"not an address", "email.err.address"},
		} {
			var fe *faxes.Error
			if err := w.svc.AddSender(ctx, w.bob, tt.address); !errors.As(err, &fe) || fe.Code != tt.code {
				t.Errorf("bob adding %q: %v, want %s", tt.address, err, tt.code)
			}
		}
		if n := w.count(t, "email_senders"); n != 1 {
			t.Errorf("%d sending addresses stored, want alice's one", n)
		}
	})
}
