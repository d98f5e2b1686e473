package driftreport

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/drift"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/report"
)

// The files Write makes.
const (
	JSONFile   = "drift.json"
	FigureFile = "drift.png"
)

// Inputs are the raw examples compared, for the figures: for tabular data
// every row of each side, for images the sampled examples.
type Inputs struct {
	Kind     data.Kind
	Shape    []int
	RawMax   float32
	Names    []string
	Ref, New []float32
}

//go:embed drift.html
var page embed.FS

// Write writes drift.json, drift.png and report.html into out, each
// atomically; args is the command line, shown in the page.
func Write(out string, r *drift.Report, in Inputs, args []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	b, err := report.JSON(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(out, JSONFile), b); err != nil {
		return err
	}
	if err := figure(filepath.Join(out, FigureFile), r, in); err != nil {
		return err
	}
	v := view{R: r, Summary: Summary(r), Generated: report.Timestamp(), Command: report.ShellJoin(args), Figure: FigureFile}
	if in.Kind == data.Image {
		v.Channels = channelRows(r)
	}
	html, err := report.Render(out, page, "drift.html", v)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(out, report.HTMLFile), html)
}

// view is what drift.html shows.
type view struct {
	R         *drift.Report
	Summary   []string
	Generated string
	Command   string
	Figure    string
	Channels  [][2]string
}

func channelRows(r *drift.Report) [][2]string {
	var rows [][2]string
	if r.Brightness == nil || r.Contrast == nil {
		return nil
	}
	for c := range r.Brightness.Reference {
		rows = append(rows, [2]string{fmt.Sprintf("channel %d", c), fmt.Sprintf("brightness (mean) %.4g → %.4g, contrast (std) %.4g → %.4g",
			r.Brightness.Reference[c], r.Brightness.New[c], r.Contrast.Reference[c], r.Contrast.New[c])})
	}
	return rows
}
