// Package tiff reads bilevel TIFF images, as scanners, fax software and
// users produce them, and writes TIFF Class F, the TIFF profile for fax
// (TIFF 6.0 with the Class F technical note).
//
// The reader accepts uncompressed, PackBits, LZW, Deflate, CCITT RLE,
// Group 3 (1-D and 2-D) and Group 4 data in strips, both byte orders and both fill orders,
// and bounds what a file may make it allocate. Coded fax data can be read
// and written without decoding it, so received pages are stored, and
// wrapped in PDF, exactly as they came off the line.
package tiff

import "fmt"

// Compression is the value of the TIFF Compression tag.
type Compression uint16

// The compressions a bilevel fax TIFF uses.
const (
	None      Compression = 1
	CCITTRLE  Compression = 2 // MH without EOLs, rows byte aligned
	CCITTFax3 Compression = 3 // T.4 MH or MR with EOLs
	CCITTFax4 Compression = 4 // T.6 MMR
	LZW       Compression = 5
	Deflate   Compression = 8
	PackBits  Compression = 32773

	deflateOld Compression = 32946 // Deflate under its pre-TIFF-6 number
)

// String names a compression, including ones this package does not read.
func (c Compression) String() string {
	switch c {
	case None:
		return "none"
	case CCITTRLE:
		return "CCITT RLE"
	case CCITTFax3:
		return "CCITT Group 3"
	case CCITTFax4:
		return "CCITT Group 4"
	case PackBits:
		return "PackBits"
	case LZW:
		return "LZW"
	case 6, 7:
		return "JPEG"
	case Deflate, deflateOld:
		return "Deflate"
	case 32771:
		return "CCITT RLEW"
	case 34712:
		return "JPEG 2000"
	case 34887, 34892:
		return "lossy JPEG/JBIG"
	case 9, 10, 34661:
		return "JBIG"
	case 50000:
		return "Zstandard"
	case 34925:
		return "LZMA"
	case 50001:
		return "WebP"
	}
	return "unknown"
}

// Tags used by this package.
const (
	tagNewSubfileType    = 254
	tagImageWidth        = 256
	tagImageLength       = 257
	tagBitsPerSample     = 258
	tagCompression       = 259
	tagPhotometric       = 262
	tagFillOrder         = 266
	tagStripOffsets      = 273
	tagSamplesPerPixel   = 277
	tagRowsPerStrip      = 278
	tagStripByteCounts   = 279
	tagXResolution       = 282
	tagYResolution       = 283
	tagPlanarConfig      = 284
	tagPredictor         = 317
	tagT4Options         = 292
	tagT6Options         = 293
	tagResolutionUnit    = 296
	tagPageNumber        = 297
	tagSoftware          = 305
	tagTileWidth         = 322
	tagTileOffsets       = 324
	tagBadFaxLines       = 326
	tagCleanFaxData      = 327
	tagConsecutiveBadFax = 328
)

// Field types.
const (
	typeByte     = 1
	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
)

var typeSize = [...]int{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4}

// T4Options bits.
const (
	t4Opt2D   = 1
	t4OptUnc  = 2
	t4OptFill = 4
)

// CleanFaxData values.
const (
	faxDataClean       = 0
	faxDataRegenerated = 1
	faxDataUnclean     = 2
)

func errPage(n int, format string, args ...any) error {
	return fmt.Errorf("tiff: page %d: "+format, append([]any{n}, args...)...)
}
