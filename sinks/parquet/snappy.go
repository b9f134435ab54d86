package parquet

import (
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// fastSnappy is arrow-go's Snappy codec with a faster block encoder.
// arrow-go v18.9.0 compresses Snappy pages with klauspost/compress's
// snappy.Encode, which runs s2.EncodeSnappyBetter. s2.EncodeSnappy writes
// the same Snappy block format with less CPU time. On the 1,000,000-row
// benchmark merge (bench/cmd/merge, 2 cores) the compression time fell from
// 0.60 s to 0.38 s and the file grew by 5%. Decoding is unchanged.
type fastSnappy struct {
	snappyCodec
}

// snappyCodec is the method set of arrow-go's own Snappy codec, for block
// and streaming compression.
type snappyCodec interface {
	compress.Codec
	compress.StreamingCodec
}

func (c fastSnappy) Encode(dst, src []byte) []byte {
	return s2.EncodeSnappy(dst, src)
}

func (c fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte {
	return s2.EncodeSnappy(dst, src)
}

// DecodeWithError keeps the error-returning decoder of the wrapped codec,
// which the embedded interface would otherwise hide from compress.Decode.
func (c fastSnappy) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.snappyCodec, dst, src)
}

// init replaces the Snappy codec for the whole process, because arrow-go
// looks codecs up in one registry and offers no per-writer choice. The
// registry is written only during package initialisation, before any
// writer can read it.
func init() {
	registered, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		// arrow-go registers Snappy in its own init. Without it, keep the
		// registry as it is and let the writer report the missing codec.
		return
	}
	base, ok := registered.(snappyCodec)
	if !ok {
		return
	}
	compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{snappyCodec: base})
}
