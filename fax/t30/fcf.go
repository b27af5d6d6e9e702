package t30

import "fmt"

// FCF is a T.30 facsimile control field value with the X bit (the least
// significant bit) clear, except for the DIS/DTC-class signals whose low bit
// is part of the code. Values follow T.30 Table 3 written least significant
// bit first, so DIS is 0x80.
type FCF byte

// Facsimile control fields.
const (
	DIS FCF = 0x80 // digital identification signal
	CSI FCF = 0x40 // called subscriber identification
	NSF FCF = 0x20 // non-standard facilities
	DTC FCF = 0x81 // digital transmit command (polling)
	CIG FCF = 0x41 // calling subscriber identification
	NSC FCF = 0x21 // non-standard facilities command
	PWD FCF = 0xC1 // password (for polling)
	SEP FCF = 0xA1 // selective polling
	PSA FCF = 0x61 // polled subaddress

	DCS FCF = 0x82 // digital command signal
	TSI FCF = 0x42 // transmitting subscriber identification
	NSS FCF = 0x22 // non-standard facilities set-up
	SUB FCF = 0xC2 // subaddress
	SID FCF = 0xA2 // sender identification (password for sending)
	CTC FCF = 0x12 // continue to correct

	CFR FCF = 0x84 // confirmation to receive
	FTT FCF = 0x44 // failure to train
	CTR FCF = 0xC4 // response to continue to correct

	EOM    FCF = 0x8E // end of message: back to phase B
	MPS    FCF = 0x4E // multipage signal: another page follows
	EOP    FCF = 0x2E // end of procedure
	PRIEOM FCF = 0x9E // procedure interrupt EOM
	PRIMPS FCF = 0x5E // procedure interrupt MPS
	PRIEOP FCF = 0x3E // procedure interrupt EOP
	PPS    FCF = 0xBE // partial page signal (ECM)
	EOR    FCF = 0xCE // end of retransmission (ECM)
	RR     FCF = 0x6E // receive ready (ECM flow control)

	MCF FCF = 0x8C // message confirmation
	RTP FCF = 0xCC // retrain positive
	RTN FCF = 0x4C // retrain negative
	PIP FCF = 0xAC // procedure interrupt positive
	PIN FCF = 0x2C // procedure interrupt negative
	PPR FCF = 0xBC // partial page request (ECM)
	RNR FCF = 0xEC // receiver not ready (ECM)
	ERR FCF = 0x1C // response to end of retransmission (ECM)

	DCN FCF = 0xFA // disconnect
	CRP FCF = 0x1A // command repeat
	FNV FCF = 0xCA // field not valid

	FCD FCF = 0x06 // facsimile coded data (ECM image frame)
	RCP FCF = 0x86 // return to control for partial page (ECM)

	// Null is the "no post-message command" FCF2 of PPS-NULL.
	Null FCF = 0x00
)

// xBit is set in the FCF of every frame sent by the station that received
// DIS (normally the calling station).
const xBit = 0x01

// identClass lists the FCFs whose low bit is part of the code.
var identClass = map[byte]bool{
	0x80: true, 0x81: true, 0x40: true, 0x41: true, 0x20: true, 0x21: true,
	0xC1: true, 0xA1: true, 0x61: true,
}

// fcfOf strips the X bit from a received FCF octet.
func fcfOf(b byte) FCF {
	if identClass[b] {
		return FCF(b)
	}
	return FCF(b &^ xBit)
}

var fcfNames = map[FCF]string{
	DIS: "DIS", CSI: "CSI", NSF: "NSF", DTC: "DTC", CIG: "CIG", NSC: "NSC",
	PWD: "PWD", SEP: "SEP", PSA: "PSA", DCS: "DCS", TSI: "TSI", NSS: "NSS",
	SUB: "SUB", SID: "SID", CTC: "CTC", CFR: "CFR", FTT: "FTT", CTR: "CTR",
	EOM: "EOM", MPS: "MPS", EOP: "EOP", PRIEOM: "PRI-EOM", PRIMPS: "PRI-MPS",
	PRIEOP: "PRI-EOP", PPS: "PPS", EOR: "EOR", RR: "RR", MCF: "MCF",
	RTP: "RTP", RTN: "RTN", PIP: "PIP", PIN: "PIN", PPR: "PPR", RNR: "RNR",
	ERR: "ERR", DCN: "DCN", CRP: "CRP", FNV: "FNV", FCD: "FCD", RCP: "RCP",
	Null: "NULL",
}

// String returns the T.30 abbreviation, e.g. "MCF".
func (f FCF) String() string {
	if n, ok := fcfNames[f]; ok {
		return n
	}
	return fmt.Sprintf("FCF(%#02x)", byte(f))
}
