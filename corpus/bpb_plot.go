package corpus

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// ErrNothingToPlot is returned by WritePlot for a report without any file
// measured.
var ErrNothingToPlot = errors.New("corpus: no file measured: nothing to plot")

// PlotFormats are the file extensions WritePlot understands (gonum/plot's).
var PlotFormats = []string{"png", "svg", "pdf", "eps", "jpg", "jpeg", "tif", "tiff"}

// PlotFormat returns the format WritePlot should write for path, from its
// extension ("png" for "out.png"), or an error naming the known ones.
func PlotFormat(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range PlotFormats {
		if ext == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("corpus: %s: unknown plot format %q (known: %s)", path, ext, strings.Join(PlotFormats, ", "))
}

// Plot draws the per-modality comparison as a grouped bar chart: one group
// per modality measured (and "total" when there is more than one), one bar
// per method: the model's cross-entropy, the .mbz file, then each
// baseline, in bits per original byte, each bar labelled with its value.
// width is that of the canvas it will be drawn on: bar widths are in
// points, not in data units, so they are sized to fill about 80 % of the
// room of each group.
func (r *BPBReport) Plot(width vg.Length) (*plot.Plot, error) {
	if r.Measured == 0 {
		return nil, ErrNothingToPlot
	}
	groups := append([]BPBSummary(nil), r.Modalities...)
	if len(groups) > 1 {
		groups = append(groups, r.Total)
	}
	type series struct {
		name string
		val  func(s *BPBSummary) float64
	}
	methods := []series{
		{"model cross-entropy", func(s *BPBSummary) float64 { return s.XentBPB }},
		{"mbzip (.mbz)", func(s *BPBSummary) float64 { return s.CodedBPB }},
	}
	for _, b := range r.Baselines {
		methods = append(methods, series{b.Name, func(s *BPBSummary) float64 { return s.Baselines[b.Name].BPB }})
	}

	p := plot.New()
	model := r.Model
	if model == "" {
		model = strings.Join(r.modelNames(), ", ")
	}
	p.Title.Text = fmt.Sprintf("Bits per byte by modality (model %s; lower is better)", model)
	p.Y.Label.Text = "bits per byte"
	p.Y.Min = 0
	// Bars of a group side by side, the group centred on its tick; the
	// axes take about a tenth of the canvas.
	barWidth := min(vg.Points(40), width*0.9*0.8/vg.Length(len(methods)*len(groups)))
	top := 0.0
	for i, m := range methods {
		vals := make(plotter.Values, len(groups))
		for g := range groups {
			vals[g] = m.val(&groups[g])
			top = max(top, vals[g])
		}
		bars, err := plotter.NewBarChart(vals, barWidth)
		if err != nil {
			return nil, fmt.Errorf("corpus: plot: %w", err)
		}
		bars.LineStyle.Width = vg.Length(0)
		bars.Color = plotutil.Color(i)
		bars.Offset = vg.Length(float64(i)-float64(len(methods)-1)/2) * barWidth
		p.Add(bars)
		p.Legend.Add(m.name, bars)

		xys := make(plotter.XYs, len(groups))
		labels := make([]string, len(groups))
		for g := range groups {
			xys[g] = plotter.XY{X: float64(g), Y: vals[g]}
			labels[g] = fmt.Sprintf("%.2f", vals[g])
		}
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("corpus: plot: %w", err)
		}
		for j := range lab.TextStyle {
			lab.TextStyle[j].XAlign = -0.5 // centred on the bar
			lab.TextStyle[j].Font.Size = vg.Points(7)
		}
		lab.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		p.Add(lab)
	}
	names := make([]string, len(groups))
	for g, s := range groups {
		plural := "s"
		if s.Files == 1 {
			plural = ""
		}
		names[g] = fmt.Sprintf("%s (%d file%s)", s.Modality, s.Files, plural)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	// Room above the bars for their labels and for the legend, which
	// gonum draws inside the plotting area.
	p.Y.Max = top * (1.2 + 0.05*float64(len(methods)))
	p.Legend.Top = true
	p.Legend.Left = false
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // the groups are nominal: no vertical lines
	p.Add(grid)
	return p, nil
}

// WritePlot draws Plot in format (one of PlotFormats), width × height.
func (r *BPBReport) WritePlot(w io.Writer, format string, width, height vg.Length) error {
	p, err := r.Plot(width)
	if err != nil {
		return err
	}
	wt, err := p.WriterTo(width, height, format)
	if err != nil {
		return fmt.Errorf("corpus: plot: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("corpus: plot: %w", err)
	}
	return nil
}
