// Package codec is the .mbz container and the coding loop of mbzip: it turns
// a byte stream into segments, codes each segment with a model and an
// arithmetic coder (or stores it raw or with zstd when that is smaller), and
// reads it all back, verifying every checksum.
//
// # Use
//
// NewWriter and NewReader stream in the style of klauspost/compress;
// EncodeAll and DecodeAll work on whole buffers and also apply the
// modality's Serialize/Restore; Inspect describes a file without running
// the model. Errors from reading wrap one of ErrBadMagic,
// ErrUnsupportedVersion, ErrTruncated, ErrCorrupt, ErrChecksum and
// ErrModelUnavailable, with a message that says where and what ("segment 3:
// checksum mismatch", "made with model "X" (fingerprint abcd…), which is not
// available: …").
//
// # Segments and parallelism
//
// The stream is cut into segments of the header's segment size (32 KiB by
// default); only the last one may be shorter. Segments are independent, and
// inside a segment the model sees blocks of its Window() bytes, each a fresh
// context. The Writer buffers threads × segment size bytes and codes those
// segments in parallel, one goroutine each (with fewer segments than
// threads, a segment's blocks go through the model several at once). A
// model-coded segment codes its blocks interleaved in lanes (16 by default,
// WithLanes), so that a decoder can step them side by side; the Reader
// reads segments until it holds 16 lanes per thread (at most max(threads,
// 16) segments) and decodes the model-coded ones in lock-step, every lane
// a row of a model batch (one batch per thread; with fewer segments than
// threads, the spare threads share the batches' steps), so that the model
// multiplies matrices over many rows per byte step. Because the
// probability path is a pure function of a segment's bytes (DESIGN.md §2),
// the output does not depend on the thread count or the batching. Memory is
// bounded by the segment size times the segments in flight, never by the
// file size.
//
// # The coding loop
//
// One loop serves encoder and decoder (and, later, the sampler); see
// loop.go. Per byte, the model's distribution (Forward over the block when
// encoding, Batch.Next when decoding) goes through a stage that turns it
// into integer frequencies — today arith.Quantize, tomorrow a mixer or APM
// for the adaptive levels — then to the range coder; the stage is told the
// byte coded, and after each block a hook runs (the seam for online weight
// updates). The float-to-integer step lives in one function,
// segmentCoder.step, so the two directions cannot drift apart.
//
// The Writer codes every segment with the model, compares the length with
// zstd's and with the raw bytes, and keeps the shortest (ties to the cheaper
// one to decode): the output is never more than a few bytes per segment
// larger than the input. It records the model's cost of every segment,
// stored or not, so that Inspect can report bits per byte.
//
// # Format, version 2
//
// Integers are unsigned LEB128 varints (uv) unless a width is given; fixed
// widths are little-endian; every checksum is CRC-32C (Castagnoli).
//
//	file    = magic version header segment* end trailer
//	magic   = "MBZ\x1a"
//	version = uv                      2 (1 is read too); other values are refused by name
//	header  = len:uv body[len] crc:u32
//	          crc covers magic, version, len and body
//	body    = nameLen:uv name         model name, ≤ MaxModelName bytes of UTF-8
//	          fingerprint[32]          the model's SHA-256 fingerprint
//	          level:u8 modality:u8     level 1–9; modalities.Kind
//	          sideLen:uv side          modality side information, ≤ MaxSideInfo
//	          segmentSize:uv           1 … MaxSegmentSize
//	segment = method:u8 origLen:uv codedLen:uv [bits:uv] [lanes:uv]
//	          crc:u32 [codedCRC:u32] recordCRC:u32 payload[codedLen]
//	          method: 1 model, 2 raw, 3 zstd, 4 model in lanes (version 2);
//	          bit 0x80 says bits is present
//	          origLen: 1 … segmentSize
//	          codedLen: = origLen for raw; 1 … origLen + origLen/8 + 64 else
//	          bits: Σ −log2(f/Total) of the coded frequencies, in 2^-16 bit
//	          lanes: 2 … MaxLanes, method 4 only
//	          crc: of the segment's original bytes
//	          codedCRC: of the payload, for model and zstd (the last bytes of
//	          an arithmetic code have slack: damage there can decode cleanly)
//	          recordCRC: of the record from method to codedCRC
//	end     = 0x00
//	trailer = total:uv segments:uv crc:u32 trailerCRC:u32
//	          total: original length; crc: of the whole original
//	          trailerCRC covers end, total, segments and crc
//
// The trailer lets the Writer stream: nothing in the header depends on the
// length of the input. After the trailer the input must end.
//
// A model payload is the range coder's stream (package arith) of the
// segment's bytes with the frequencies of the stage, in lane order: the
// segment is cut into blocks of the model's Window() bytes, the blocks are
// taken in groups of lanes (1 for method 1), and each group is coded
// position by position — byte t of its first block, byte t of its second,
// …, then byte t+1 (laneOrder in loop.go). The stage sees the bytes in that
// order, and a block's end right after its last byte. A zstd
// payload is one zstd frame whose window is at most the segment size rounded
// up to a power of two (at least 1 KiB).
//
// # Hostile input
//
// Every length and count is checked against the format's limits and against
// the input actually present before anything is allocated for it: payloads
// and the header are read in chunks of at most 1 MiB ahead of the data. A
// model-coded segment's output buffer is allocated at its checked original
// length (lanes fill it out of order), after its whole payload has arrived. Decoding never panics. Checksums
// cover every byte of the file, so any single flipped bit is reported.
package codec
