package mailin

// Test helpers for the end-to-end tests in package mailin_test.
var (
	Fixture    = fixture
	SignDKIM   = sign
	TestKey    = testKey
	DKIMRecord = dkimRecord
	NewDNS     = newDNS
)

// FakeDNS is the test resolver.
type FakeDNS = fakeDNS

// Set publishes TXT records for name.
func (d *fakeDNS) Set(name string, txt ...string) { d.set(name, txt...) }
