// Package e2e drives the portal in a real Chromium: register, verify by the
// emailed link, log in with and without "remember me" across browser
// restarts, log out and reset a password, on SQLite and PostgreSQL. The
// tests skip when the Debian package chromium is missing, and fail instead
// under FAXHAVEN_TEST_REQUIRE_PEERS=1.
//
// Set FAXHAVEN_E2E_SCREENSHOTS to a directory to keep the screenshots the
// tests take (desktop and phone width).
package e2e
