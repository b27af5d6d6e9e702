// Package t4 encodes and decodes bilevel fax rows as defined by ITU-T T.4
// (one-dimensional Modified Huffman, MH, and two-dimensional Modified READ,
// MR) and ITU-T T.6 (Modified Modified READ, MMR, the Group 4 coding).
//
// Rows are packed bytes exactly as page.Page stores them: the most
// significant bit of a byte is the leftmost pixel and a set bit is black.
//
// An Encoder takes one row at a time and a Decoder yields one row at a time,
// so a page never needs more memory than a few rows and the coded output.
// EncodePage and DecodePage handle a whole page.
//
// The decoder for MH and MR tolerates what real fax machines send: missing or
// extra EOL codes, fill bits and damaged rows. A damaged row is replaced by
// the previous good row, as a receiving machine prints it, and counted in
// Stats so a T.30 receiver can decide whether the page quality is
// acceptable. MMR has no means to resynchronise, so a damaged MMR stream is
// an error that names the row.
package t4
