// Package t30 implements the Group 3 facsimile session protocol of ITU-T
// Recommendation T.30: call establishment (phase A), capability exchange and
// training (phase B), page transfer with or without error correction (phases
// C and D, including T.30 Annex A ECM) and call release (phase E).
//
// A Session runs one call for either role (calling or answering) and either
// direction (sending or receiving pages). It is transport independent: it
// talks to the physical layer through the Modem interface, which a T.38
// packet link (fax/terminal) or an audio modem can implement, and it reads
// time only through a Clock, so a whole fax can run on virtual time under
// test.
//
// The Session is event driven. The Modem reports what it hears by calling
// Session.Handle; timers fire through the Clock. Every input is serialised by
// the Session, so a Modem may deliver events from any goroutine, but it must
// never call Handle from inside one of its own methods.
package t30
