// Package e2e drives the portal in a real Chromium against a whole node
// built as "faxhaven serve" builds it (real database, number pool and mail
// outbox): register, verify by the emailed link read from the outbox, log
// in with and without "remember me" across browser restarts, log out,
// reset a password, and work the staff console and the admin outbox, on
// SQLite and PostgreSQL. The
// tests skip when the Debian package chromium is missing, and fail instead
// under FAXHAVEN_TEST_REQUIRE_PEERS=1.
//
// Set FAXHAVEN_E2E_SCREENSHOTS to a directory to keep the screenshots the
// tests take (desktop and phone width).
package e2e
