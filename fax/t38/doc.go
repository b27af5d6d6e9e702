// Package t38 implements ITU-T T.38, real-time fax over IP: the IFP packets
// that carry T.30 indicators and modem data, the UDPTL transport with its
// redundancy and parity FEC error recovery, and a paced terminal layer that
// sends and receives IFP traffic at modem speed over a packet transport.
//
// The package speaks T.38's own vocabulary (indicators, data types, field
// types) and knows nothing of the T.30 session protocol, so it can be used
// on its own: a T.30 engine sits on top of a Terminal, a gateway or test
// relay can use the IFP and UDPTL codecs directly.
//
// HDLC data travels in T.38 in line order: the first bit sent on the line
// is the most significant bit of each octet. T.30's tables number bits the
// other way (bit 1 is the least significant), so a T.30 frame such as DIS
// (0xFF 0x13 0x80 ...) appears in hdlc-data fields with every octet
// bit-reversed (0xFF 0xC8 0x01 ...); see math/bits.Reverse8. SpanDSP and
// other T.38 peers expect this order.
//
// IFP and UDPTL packets are coded in ASN.1 PER, ALIGNED variant, as T.38
// clause 9 and Annex A specify. Versions 0 to 3 of T.38 are supported; they
// differ in which extension values exist and, for version 0, in how the
// field type of a data field is coded (the 1998 ASN.1 lacked the extension
// marker on that enumeration).
package t38
