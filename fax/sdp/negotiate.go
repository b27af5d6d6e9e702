package sdp

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoT38 is returned by Answer when the offer carries no usable T.38 line;
// a SIP user agent answers such an offer with 488 Not Acceptable Here.
var ErrNoT38 = errors.New("sdp: the offer has no T.38 image line (m=image PORT udptl t38)")

// NewT38 returns a description with one T.38 image line on addr:port with
// parameters t. id is the session id, also the first version.
func NewT38(addr string, port int, t T38, id uint64) *Session {
	tt := t
	return &Session{
		Origin: Origin{Username: "faxhaven", SessionID: id, Version: id, Addr: addr},
		Name:   "fax",
		Conn:   addr,
		Media:  []*Media{{Type: "image", Port: port, Proto: "udptl", Formats: []string{"t38"}, T38: &tt}},
	}
}

// ecRank orders error correction from none to the strongest. An absent
// T38FaxUdpEC says the sender uses none.
func ecRank(ec string) int {
	switch ec {
	case Redundancy:
		return 1
	case FEC:
		return 2
	}
	return 0
}

// Negotiate returns the T.38 parameters an answerer able to do local uses in
// reply to offer, following T.38 Annex D (SDP offer/answer):
//   - version, bit rate and error correction are the lower of the two;
//   - the rate management method is the offer's (the answer must repeat
//     it), transferredTCF when the offer names none;
//   - fill bit removal and transcoding hold only if both ends do them;
//   - T38FaxMaxBuffer and T38FaxMaxDatagram are the answerer's own, since
//     each end declares what it can take.
func Negotiate(offer, local T38) T38 {
	ans := local
	ans.Version = min(offer.Version, local.Version)
	if offer.MaxBitRate > 0 && (local.MaxBitRate == 0 || offer.MaxBitRate < local.MaxBitRate) {
		ans.MaxBitRate = offer.MaxBitRate
	}
	ans.RateManagement = offer.RateManagement
	if ans.RateManagement == "" {
		ans.RateManagement = TransferredTCF
	}
	if ecRank(offer.UDPEC) < ecRank(local.UDPEC) {
		ans.UDPEC = offer.UDPEC
	}
	if ans.UDPEC == "" {
		ans.UDPEC = NoEC
	}
	ans.FillBitRemoval = offer.FillBitRemoval && local.FillBitRemoval
	ans.TranscodingMMR = offer.TranscodingMMR && local.TranscodingMMR
	ans.TranscodingJBIG = offer.TranscodingJBIG && local.TranscodingJBIG
	return ans
}

// Answer builds the answer to offer for an answerer whose T.38 receiver is
// on addr:port and who can do local. Every media line of the offer is
// answered, as RFC 3264 requires: the first T.38 line is accepted, all
// others (audio included) are refused with port 0. It returns ErrNoT38 when
// the offer has no T.38 line to accept.
func Answer(offer *Session, addr string, port int, local T38, id uint64) (*Session, error) {
	ans := &Session{
		Origin: Origin{Username: "faxhaven", SessionID: id, Version: id, Addr: addr},
		Name:   "fax",
		Conn:   addr,
	}
	accepted := false
	for _, m := range offer.Media {
		a := &Media{Type: m.Type, Proto: m.Proto, Formats: m.Formats}
		if m.T38 != nil && m.Port != 0 && !accepted {
			t := Negotiate(*m.T38, local)
			a.Port, a.T38, accepted = port, &t, true
		}
		ans.Media = append(ans.Media, a)
	}
	if !accepted {
		return nil, ErrNoT38
	}
	return ans, nil
}

// CheckAnswer checks an answer to an offer of ours that offered mine: the
// answer must accept a T.38 line and may not ask for more than was offered.
// It returns the accepted line.
func CheckAnswer(ans *Session, mine T38) (*Media, error) {
	m := ans.T38Media()
	if m == nil {
		return nil, ErrNoT38
	}
	t := m.T38
	switch {
	case t.Version > mine.Version:
		return nil, fmt.Errorf("sdp: the answer asks for T.38 version %d, more than the %d offered", t.Version, mine.Version)
	case ecRank(t.UDPEC) > ecRank(mine.UDPEC):
		return nil, fmt.Errorf("sdp: the answer asks for %s, stronger than the %s offered", t.UDPEC, mine.UDPEC)
	case t.RateManagement != "" && !strings.EqualFold(t.RateManagement, mine.RateManagement) && mine.RateManagement != "":
		return nil, fmt.Errorf("sdp: the answer uses %s rate management, the offer %s", t.RateManagement, mine.RateManagement)
	}
	return m, nil
}
