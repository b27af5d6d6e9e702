package accounts

import "testing"

// BenchmarkHashPassword measures one Argon2id hash with the production
// parameters: the cost of every registration, login and password change.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckPassword measures one login's password check.
func BenchmarkCheckPassword(b *testing.B) {
	h, _ := HashPassword("correct horse battery", DefaultParams)
	for b.Loop() {
		if ok, err := CheckPassword(h, "correct horse battery"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
