package parquet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/snappy"
)

func TestSnappyCodecRegistered(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.(fastSnappy); !ok {
		t.Fatalf("registered Snappy codec is %T, want fastSnappy", codec)
	}
	if _, ok := codec.(compress.StreamingCodec); !ok {
		t.Error("registered Snappy codec lost the streaming methods of arrow-go's codec")
	}
}

func TestSnappyBlocksDecodeElsewhere(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	src := []byte(strings.Repeat("Matched Ada Lovelace at Acme Corp, from the company site. ", 2000) + "Kraków, Noémie")

	encoded := codec.EncodeLevel(nil, src, 0)
	if len(encoded) >= len(src) {
		t.Errorf("encoded %d bytes into %d; expected a smaller block for repeating text", len(src), len(encoded))
	}
	decoded, err := snappy.Decode(nil, encoded)
	if err != nil {
		t.Fatalf("the Snappy decoder rejected the block: %v", err)
	}
	if !bytes.Equal(decoded, src) {
		t.Error("decoded block differs from the input")
	}

	roundTrip, err := compress.Decode(codec, nil, codec.Encode(nil, src))
	if err != nil {
		t.Fatalf("the codec's own decoder rejected the block: %v", err)
	}
	if !bytes.Equal(roundTrip, src) {
		t.Error("block decoded by the codec differs from the input")
	}
	if _, err := compress.Decode(codec, nil, []byte{0xff, 0xff, 0xff}); err == nil {
		t.Error("a corrupt block decoded without an error")
	}
}
