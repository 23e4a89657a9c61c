package corpus

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mbzip/mbzip/modalities"
)

// BPBReport is what Measure returns: one row per file and the sums per
// modality and over everything. Its JSON form (WriteJSON) is the schema of
// `mbzip bpb --json`:
//
//	{
//	  "model": "text-ref-v1",        // the --model of the run; "" when each file
//	                                 // used its modality's default (see files[].model)
//	  "level": 6, "segment_size": 65536, "threads": 16,
//	  "baselines": [{"name": "zstd", "description": "..."}, ...],
//	  "files": [{
//	    "path": "eval/text/book1", "modality": "text",
//	    "bytes": 768771, "stream_bytes": 768771,
//	    "model": "text-ref-v1", "fingerprint": "0123456789ab",
//	    "model_bits": 1.6e6,         // Σ −log2 p over the stream (float, from the coding pass)
//	    "xent_bpb": 2.08,            // model_bits / bytes: cross-entropy, no coding
//	    "quantized_bpb": 2.08,       // cost of the coder's integer frequencies
//	    "coded_bytes": 200000,       // len(codec.EncodeAll(file))
//	    "coded_bpb": 2.08,           // 8 × coded_bytes / bytes
//	    "coded_vs_xent_percent": 0.2, // 100 × (coded_bpb − xent_bpb) / xent_bpb
//	    "segments": 12, "stored_segments": 0,
//	    "threads": 1,                // cores the file's model pass used
//	    "coding_seconds": 51.0,      // wall time of that pass (EncodeAll)
//	    "baselines": {"zstd": {"bytes": 284675, "bpb": 2.962, "seconds": 0.31}, ...},
//	    "error": "..."               // only for a file that could not be measured;
//	                                 // then only path and error mean anything
//	  }, ...],
//	  "modalities": [{               // one per modality measured, in Kind order
//	    "modality": "text", "files": 18,
//	    "bytes": ..., "stream_bytes": ..., "model_bits": ...,
//	    "xent_bpb": ..., "quantized_bpb": ..., "coded_bytes": ..., "coded_bpb": ...,
//	    "coded_vs_xent_percent": ..., "segments": ..., "stored_segments": ...,
//	    "coding_seconds": ..., "core_seconds_coding": ..., "coding_bytes_per_core_second": ...,
//	    "baselines": {"zstd": {"bytes": ..., "bpb": ..., "seconds": ..., "bytes_per_second": ...}, ...}
//	  }, ...],
//	  "total": {"modality": "total", ...},   // the same over every file measured
//	  "measured": 18, "failed": 0, "empty": 0,
//	  "wall_seconds": 240.2
//	}
//
// Sums are over the files measured (no error, not empty): a ratio is the sum
// of the numerators over the sum of the denominators, so bigger files weigh
// more, as in ../shared/corpus/BASELINES.md. Bits per byte are per original
// byte throughout, so that every column compares with every other; per
// stream byte is model_bits / stream_bytes. Speeds of the model passes are
// per core: bytes over Σ seconds × threads; baselines run on one core each.
// Each file takes one model pass, the coder's, which gives the
// cross-entropy as well (codec.Info.CrossEntropyBits).
type BPBReport struct {
	Model       string         `json:"model"`
	Level       int            `json:"level"`
	SegmentSize int            `json:"segment_size"`
	Threads     int            `json:"threads"`
	Baselines   []BaselineInfo `json:"baselines"`
	Files       []FileBPB      `json:"files"`
	Modalities  []BPBSummary   `json:"modalities"`
	Total       BPBSummary     `json:"total"`
	Measured    int            `json:"measured"`
	Failed      int            `json:"failed"`
	Empty       int            `json:"empty"`
	WallSeconds float64        `json:"wall_seconds"`
}

// BaselineInfo names a baseline in a report.
type BaselineInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// BPBSummary sums the files of one modality, or of all of them.
type BPBSummary struct {
	Modality       string  `json:"modality"`
	Files          int     `json:"files"`
	Bytes          int64   `json:"bytes"`
	StreamBytes    int64   `json:"stream_bytes"`
	ModelBits      float64 `json:"model_bits"`
	XentBPB        float64 `json:"xent_bpb"`
	QuantBPB       float64 `json:"quantized_bpb"`
	CodedBytes     int64   `json:"coded_bytes"`
	CodedBPB       float64 `json:"coded_bpb"`
	CodedVsXent    float64 `json:"coded_vs_xent_percent"`
	Segments       int     `json:"segments"`
	StoredSegments int     `json:"stored_segments"`
	// CodingSeconds adds up the files' wall times; the core seconds
	// weigh each by the file's threads.
	CodingSeconds     float64 `json:"coding_seconds"`
	CodingCoreSeconds float64 `json:"core_seconds_coding"`
	// CodingSpeed is original bytes per core-second of the model pass.
	CodingSpeed float64                    `json:"coding_bytes_per_core_second"`
	Baselines   map[string]BaselineSummary `json:"baselines,omitempty"`
}

// BaselineSummary sums one baseline over files.
type BaselineSummary struct {
	Bytes   int64   `json:"bytes"`
	BPB     float64 `json:"bpb"`
	Seconds float64 `json:"seconds"`
	Speed   float64 `json:"bytes_per_second"` // original bytes per second, one core
}

// newBPBReport sums the measured files.
func newBPBReport(files []FileBPB, opts *BPBOptions, wall time.Duration) *BPBReport {
	r := &BPBReport{
		Level:       opts.Level,
		SegmentSize: opts.SegmentSize,
		Threads:     opts.Threads,
		Files:       files,
		WallSeconds: wall.Seconds(),
	}
	if opts.Model != nil {
		r.Model = opts.Model.Name()
	}
	r.Baselines = make([]BaselineInfo, len(opts.Baselines))
	for i, b := range opts.Baselines {
		r.Baselines[i] = BaselineInfo{Name: b.Name, Description: b.Description}
	}
	byKind := map[modalities.Kind]*BPBSummary{}
	r.Total.Modality = "total"
	for i := range files {
		f := &files[i]
		switch {
		case f.err != nil:
			r.Failed++
			continue
		case f.Bytes == 0:
			r.Empty++
			continue
		}
		r.Measured++
		s := byKind[f.Kind]
		if s == nil {
			s = &BPBSummary{Modality: f.Kind.String()}
			byKind[f.Kind] = s
		}
		s.add(f)
		r.Total.add(f)
	}
	kinds := make([]modalities.Kind, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(a, b int) bool { return kinds[a] < kinds[b] })
	for _, k := range kinds {
		byKind[k].finish()
		r.Modalities = append(r.Modalities, *byKind[k])
	}
	r.Total.finish()
	return r
}

func (s *BPBSummary) add(f *FileBPB) {
	s.Files++
	s.Bytes += f.Bytes
	s.StreamBytes += f.StreamBytes
	s.ModelBits += f.ModelBits
	s.QuantBPB += f.QuantBPB * float64(f.Bytes) // a sum of bits until finish
	s.CodedBytes += f.CodedBytes
	s.Segments += f.Segments
	s.StoredSegments += f.StoredSegments
	s.CodingSeconds += f.CodingSeconds
	s.CodingCoreSeconds += f.CodingSeconds * float64(f.Threads)
	for name, b := range f.Baselines {
		if s.Baselines == nil {
			s.Baselines = map[string]BaselineSummary{}
		}
		t := s.Baselines[name]
		t.Bytes += b.Bytes
		t.Seconds += b.Seconds
		s.Baselines[name] = t
	}
}

// finish turns the sums into ratios.
func (s *BPBSummary) finish() {
	if s.Bytes == 0 {
		return
	}
	n := float64(s.Bytes)
	s.XentBPB = s.ModelBits / n
	s.QuantBPB /= n
	s.CodedBPB = 8 * float64(s.CodedBytes) / n
	s.CodedVsXent = vsPercent(s.CodedBPB, s.XentBPB)
	s.CodingSpeed = rate(n, s.CodingCoreSeconds)
	for name, b := range s.Baselines {
		b.BPB = 8 * float64(b.Bytes) / n
		b.Speed = rate(n, b.Seconds)
		s.Baselines[name] = b
	}
}

// vsPercent is how much more coded is than xent, in percent of xent
// (0 when xent is 0).
func vsPercent(coded, xent float64) float64 {
	if xent == 0 {
		return 0
	}
	return 100 * (coded - xent) / xent
}

// rate is n/seconds, or 0 when no time was measured.
func rate(n, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return n / seconds
}

// WriteJSON writes the report as indented JSON (schema at BPBReport).
func (r *BPBReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadBPBReport reads a report that WriteJSON wrote, so that it can be
// written again as a table, CSV or plot without measuring again. The
// files' errors come back as errors with the same message; a file's Kind
// is set from its modality's name when modalities knows it.
func ReadBPBReport(r io.Reader) (*BPBReport, error) {
	var rep BPBReport
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("corpus: reading a bpb report: %w", err)
	}
	for i := range rep.Files {
		f := &rep.Files[i]
		if f.Error != "" {
			f.err = errors.New(f.Error)
			continue
		}
		if k, err := modalities.ParseKind(f.Modality); err == nil {
			f.Kind = k
		}
	}
	return &rep, nil
}

// csvHeader returns the CSV columns: the fixed ones, then three per
// baseline, then the error.
func (r *BPBReport) csvHeader() []string {
	h := []string{"row", "path", "modality", "files", "bytes", "stream_bytes", "model", "fingerprint",
		"model_bits", "xent_bpb", "quantized_bpb", "coded_bytes", "coded_bpb", "coded_vs_xent_percent",
		"segments", "stored_segments", "threads", "coding_seconds"}
	for _, b := range r.Baselines {
		h = append(h, b.Name+"_bytes", b.Name+"_bpb", b.Name+"_seconds")
	}
	return append(h, "error")
}

// WriteCSV writes the report as CSV with a header line. The first column
// says what a row is: "file" (path set; a failed file has only path and
// error), "modality" (path is the modality's name) or "total". Summary rows
// give the number of files, sums of seconds, and no threads.
func (r *BPBReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.csvHeader()); err != nil {
		return err
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 10, 64) }
	d := func(x int64) string { return strconv.FormatInt(x, 10) }
	for i := range r.Files {
		f := &r.Files[i]
		if f.Error != "" {
			row := make([]string, len(r.csvHeader()))
			row[0], row[1], row[len(row)-1] = "file", f.Path, f.Error
			if err := cw.Write(row); err != nil {
				return err
			}
			continue
		}
		row := []string{"file", f.Path, f.Modality, "1", d(f.Bytes), d(f.StreamBytes), f.Model, f.Fingerprint,
			g(f.ModelBits), g(f.XentBPB), g(f.QuantBPB), d(f.CodedBytes), g(f.CodedBPB), g(f.CodedVsXent),
			strconv.Itoa(f.Segments), strconv.Itoa(f.StoredSegments), strconv.Itoa(f.Threads),
			g(f.CodingSeconds)}
		for _, b := range r.Baselines {
			if res, ok := f.Baselines[b.Name]; ok {
				row = append(row, d(res.Bytes), g(res.BPB), g(res.Seconds))
			} else {
				row = append(row, "", "", "")
			}
		}
		if err := cw.Write(append(row, "")); err != nil {
			return err
		}
	}
	sums := append(append([]BPBSummary(nil), r.Modalities...), r.Total)
	for i, s := range sums {
		kind := "modality"
		if i == len(sums)-1 {
			kind = "total"
		}
		row := []string{kind, s.Modality, "", strconv.Itoa(s.Files), d(s.Bytes), d(s.StreamBytes), r.Model, "",
			g(s.ModelBits), g(s.XentBPB), g(s.QuantBPB), d(s.CodedBytes), g(s.CodedBPB), g(s.CodedVsXent),
			strconv.Itoa(s.Segments), strconv.Itoa(s.StoredSegments), "",
			g(s.CodingSeconds)}
		for _, b := range r.Baselines {
			res := s.Baselines[b.Name]
			row = append(row, d(res.Bytes), g(res.BPB), g(res.Seconds))
		}
		if err := cw.Write(append(row, "")); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes the report for people: the run's settings, a table of
// the files, a table of bits per byte per modality with the total, and one
// of speeds; then how many files failed or were empty. Columns are aligned
// with text/tabwriter. A failed file is not in the tables (the command
// line reports each on standard error).
func (r *BPBReport) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	model := r.Model
	if model == "" {
		model = "each modality's default (" + strings.Join(r.modelNames(), ", ") + ")"
	}
	fmt.Fprintf(ew, "model %s, level %d, segments of %s, %d threads, %.1f s\n\n",
		model, r.Level, segmentString(r.SegmentSize), r.Threads, r.WallSeconds)

	tw := tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)
	head := []string{"FILE", "KIND", "BYTES", "XENT", "MBZ", "MBZ-XENT", "STORED"}
	for _, b := range r.Baselines {
		head = append(head, strings.ToUpper(b.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i := range r.Files {
		f := &r.Files[i]
		if f.Error != "" || f.Bytes == 0 {
			continue
		}
		cols := []string{f.Path, f.Modality, strconv.FormatInt(f.Bytes, 10), bpbString(f.XentBPB), bpbString(f.CodedBPB),
			percentString(f.CodedVsXent), fmt.Sprintf("%d/%d", f.StoredSegments, f.Segments)}
		for _, b := range r.Baselines {
			if res, ok := f.Baselines[b.Name]; ok {
				cols = append(cols, bpbString(res.BPB))
			} else {
				cols = append(cols, "-")
			}
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()

	sums := append(append([]BPBSummary(nil), r.Modalities...), r.Total)
	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)
	head = []string{"MODALITY", "FILES", "BYTES", "XENT", "MBZ", "MBZ-XENT", "STORED"}
	for _, b := range r.Baselines {
		head = append(head, strings.ToUpper(b.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, s := range sums {
		cols := []string{s.Modality, strconv.Itoa(s.Files), strconv.FormatInt(s.Bytes, 10),
			bpbString(s.XentBPB), bpbString(s.CodedBPB), percentString(s.CodedVsXent), fmt.Sprintf("%d/%d", s.StoredSegments, s.Segments)}
		for _, b := range r.Baselines {
			cols = append(cols, bpbString(s.Baselines[b.Name].BPB))
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()

	fmt.Fprintln(ew)
	tw = tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)
	head = []string{"kB/s PER CORE", "MBZ"}
	for _, b := range r.Baselines {
		head = append(head, strings.ToUpper(b.Name))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, s := range sums {
		cols := []string{s.Modality, speedString(s.CodingSpeed)}
		for _, b := range r.Baselines {
			cols = append(cols, speedString(s.Baselines[b.Name].Speed))
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()

	fmt.Fprintln(ew)
	fmt.Fprintln(ew, "Bits per original byte. XENT: the model's cross-entropy (Σ −log2 p, no coding);")
	fmt.Fprintln(ew, "MBZ: the .mbz file, 8 × its size / bytes; MBZ-XENT: how much MBZ is over XENT;")
	fmt.Fprintln(ew, "STORED: segments stored raw or with zstd because the model did worse. One model")
	fmt.Fprintln(ew, "pass per file gives XENT and MBZ. Baselines run in process (see --json for settings).")
	fmt.Fprintln(ew, r.containerCost())
	if r.Failed > 0 {
		fmt.Fprintf(ew, "%s of %d failed and left out of the sums.\n", plural(r.Failed, "file"), len(r.Files))
	}
	if r.Empty > 0 {
		fmt.Fprintf(ew, "%s left out (no bits per byte).\n", plural(r.Empty, "empty file"))
	}
	return ew.err
}

// BigFile is the size from which a file is big enough for the container's
// cost over the cross-entropy to be small (issue 5: under 0.5 %).
const BigFile = 100_000

// containerCost says how far MBZ is over XENT on the files over BigFile
// bytes whose segments the model coded, every one: the container's own
// cost, where no segment was stored instead.
func (r *BPBReport) containerCost() string {
	n := 0
	var lo, hi float64
	for i := range r.Files {
		f := &r.Files[i]
		if f.Error != "" || f.Bytes <= BigFile || f.StoredSegments != 0 {
			continue
		}
		if n == 0 || f.CodedVsXent < lo {
			lo = f.CodedVsXent
		}
		if n == 0 || f.CodedVsXent > hi {
			hi = f.CodedVsXent
		}
		n++
	}
	if n == 0 {
		return "No file over 100 kB was coded by the model in every segment."
	}
	return fmt.Sprintf("On the %s over 100 kB coded by the model in every segment, MBZ is %s to %s over XENT.",
		plural(n, "file"), percentString(lo), percentString(hi))
}

// modelNames lists the distinct models of the measured files, in order.
func (r *BPBReport) modelNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, f := range r.Files {
		if f.Model != "" && !seen[f.Model] {
			seen[f.Model] = true
			names = append(names, f.Model)
		}
	}
	return names
}

// plural writes "1 file" or "n files".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// bpbString formats bits per byte for a table.
func bpbString(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

// percentString formats a percentage with its sign.
func percentString(x float64) string { return fmt.Sprintf("%+.2f%%", x) }

// speedString formats bytes per second as kB/s (1000 bytes).
func speedString(bps float64) string {
	if bps <= 0 {
		return "-"
	}
	kb := bps / 1000
	if kb >= 100 {
		return strconv.FormatFloat(kb, 'f', 0, 64)
	}
	return strconv.FormatFloat(kb, 'f', 1, 64)
}

// segmentString writes a segment size as "64 KiB" when it is a whole number
// of KiB or MiB.
func segmentString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// errWriter remembers the first write error, so that a long run of Fprintf
// calls is checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
