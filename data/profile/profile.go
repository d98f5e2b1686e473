package profile

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/practica-ml/practica/setup"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/atomicfile"
	"github.com/practica-ml/practica/internal/stats"
	"github.com/practica-ml/practica/report"
)

// File is the profile's JSON (a Report), next to report.html.
const File = "profile.json"

// The figures of a profile.
const (
	classBalancePlot = "class_balance.png"
	samplesPlot      = "samples.png"
	pixelStatsPlot   = "pixel_stats.png"
	pcaPlot          = "pca.png"
)

// pcaSample bounds the examples the PCA view fits and shows.
const pcaSample = 2000

// Options name the source and how to read and split it (as train would,
// with the same flags).
type Options struct {
	Source, LabelColumn, Labels string
	// Delimiter and IgnoreColumns read a CSV as training would with
	// data.delimiter ("" for a comma) and data.ignore_columns.
	Delimiter     string
	IgnoreColumns []string
	Seed          uint64
	Env           setup.Env
	Args          []string
}

// Report is profile.json: what a data source holds, before any training.
type Report struct {
	Source  string    `json:"source"`
	Kind    data.Kind `json:"kind,omitempty"`
	Shape   []int     `json:"shape,omitempty"`
	Classes []string  `json:"classes,omitempty"`
	// N counts the examples of every split.
	N           int     `json:"n"`
	ClassCounts []int   `json:"class_counts,omitempty"`
	Splits      []Split `json:"splits,omitempty"`
	// Imbalance is the largest class count over the smallest.
	Imbalance float64   `json:"imbalance_ratio,omitempty"`
	Features  []Feature `json:"features,omitempty"`
	// ConstantFeatures never change; DuplicateFeatures are groups of
	// (non-constant) features equal on every example.
	ConstantFeatures  []string   `json:"constant_features"`
	DuplicateFeatures [][]string `json:"duplicate_features"`
	// DuplicateRows counts examples whose features equal an earlier
	// example's; ConflictingDuplicates those of them with another label.
	DuplicateRows         int `json:"duplicate_rows"`
	ConflictingDuplicates int `json:"conflicting_duplicates"`
	// Leakage counts exact duplicates shared between splits.
	Leakage   Leakage   `json:"leakage"`
	NonFinite NonFinite `json:"non_finite"`
	// PCAExplained is the share of the variance of the standardized
	// features along the two components of the PCA view.
	PCAExplained []float64 `json:"pca_explained,omitempty"`
	PCAExamples  int       `json:"pca_examples,omitempty"`
	// Error is why the source could not be loaded (the profile then holds
	// only the cell counts of a CSV).
	Error string `json:"error,omitempty"`

	splits *data.Splits
	args   []string
	pcaXY  []float32
	pcaY   []int
}

// Split is one split's size and class counts.
type Split struct {
	Name        string `json:"name"`
	N           int    `json:"n"`
	ClassCounts []int  `json:"class_counts"`
}

// Feature is one feature's statistics over every example.
type Feature struct {
	Name     string  `json:"name"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Mean     float64 `json:"mean"`
	Std      float64 `json:"std"`
	Constant bool    `json:"constant"`
}

// Leakage counts examples of one split whose features exactly equal an
// example of another: the model is then tested on what it trained on.
type Leakage struct {
	TrainVal  int `json:"train_val"`
	TrainTest int `json:"train_test"`
	ValTest   int `json:"val_test"`
}

// NonFinite counts the cells of a CSV source that are not finite numbers.
// Loaded data is checked to be finite (a source with NaN or Inf does not
// load), so only CSV files can have non-zero counts, found by reading the
// file cell by cell (data.CheckCSVCells).
type NonFinite struct {
	NaN        int      `json:"nan"`
	Inf        int      `json:"inf"`
	Empty      int      `json:"empty"`
	NonNumeric int      `json:"non_numeric"`
	Columns    []Column `json:"columns,omitempty"`
	Checked    string   `json:"checked"`
}

// Column is one CSV column's bad cells.
type Column struct {
	Column     string `json:"column"`
	NaN        int    `json:"nan"`
	Inf        int    `json:"inf"`
	Empty      int    `json:"empty"`
	NonNumeric int    `json:"non_numeric"`
	// First is the first bad data line (1-based, after the header).
	First int `json:"first_line"`
}

// Data profiles a data source. A source that does not load yields a
// profile with its Error set (and, for a CSV, the cells that stop it)
// together with the error.
func Data(opt Options) (*Report, error) {
	cfg := config.Default()
	cfg.Data.Source, cfg.Data.LabelColumn, cfg.Data.Labels = opt.Source, opt.LabelColumn, opt.Labels
	if opt.Delimiter != "" {
		cfg.Data.Delimiter = opt.Delimiter
	}
	cfg.Data.IgnoreColumns = opt.IgnoreColumns
	cfg.Training.Seed = opt.Seed
	p := &Report{Source: opt.Source, args: opt.Args, ConstantFeatures: []string{}, DuplicateFeatures: [][]string{}}
	p.NonFinite.Checked = "loaded data is finite by construction (sources with NaN or Inf fail to load)"
	if isCSV(opt.Source) {
		delim, err := data.ParseDelimiter(cfg.Data.Delimiter)
		if err != nil {
			return nil, err
		}
		p.NonFinite = checkCells(opt.Source, data.CSVOptions{LabelColumn: opt.LabelColumn, Delimiter: delim, IgnoreColumns: opt.IgnoreColumns})
	}
	sp, err := setup.OpenSplits(cfg, opt.Env)
	if err != nil {
		p.Error = err.Error()
		return p, err
	}
	if err := p.describe(sp, opt.Seed); err != nil {
		return nil, err
	}
	return p, nil
}

// describe fills the profile from the splits; seed draws the PCA sample.
func (p *Report) describe(sp *data.Splits, seed uint64) error {
	p.splits = sp
	d := sp.Train
	p.Kind, p.Shape, p.Classes = d.Kind, d.Shape, d.Classes
	all := newRowSet(sp.Train, sp.Val, sp.Test)
	p.N = all.Len()
	p.ClassCounts = make([]int, len(p.Classes))
	for _, part := range all.parts {
		for k, n := range part.ClassCounts() {
			p.ClassCounts[k] += n
		}
	}
	lo, hi := slices.Min(p.ClassCounts), slices.Max(p.ClassCounts)
	if lo > 0 {
		p.Imbalance = float64(hi) / float64(lo)
	} else {
		p.Imbalance = math.Inf(1)
	}
	for _, s := range []struct {
		name string
		d    *data.Dataset
	}{{"train", sp.Train}, {"val", sp.Val}, {"test", sp.Test}} {
		p.Splits = append(p.Splits, Split{Name: s.name, N: s.d.Len(), ClassCounts: s.d.ClassCounts()})
	}
	p.features(all)
	p.duplicates(all, sp)
	return p.pca(all, seed)
}

// featureName names feature j: the CSV column, or the pixel.
func featureName(d *data.Dataset, j int) string {
	if j < len(d.FeatureNames) {
		return d.FeatureNames[j]
	}
	if len(d.Shape) == 3 {
		c, h, w := d.Shape[0], d.Shape[1], d.Shape[2]
		y, x := (j/w)%h, j%w
		if c == 1 {
			return fmt.Sprintf("pixel[%d,%d]", y, x)
		}
		return fmt.Sprintf("pixel[%d,%d,%d]", j/(h*w), y, x)
	}
	return fmt.Sprintf("feature %d", j)
}

func (p *Report) features(all *rowSet) {
	d := all.parts[0]
	s, n := d.SampleSize(), all.Len()
	p.Features = make([]Feature, s)
	for j := range s {
		f := Feature{Name: featureName(d, j), Min: math.Inf(1), Max: math.Inf(-1)}
		var sum float64
		for _, part := range all.parts {
			for i := range part.Len() {
				v := float64(part.X[i*s+j])
				sum += v
				f.Min, f.Max = math.Min(f.Min, v), math.Max(f.Max, v)
			}
		}
		f.Mean = sum / float64(n)
		var ss float64
		for _, part := range all.parts {
			for i := range part.Len() {
				dv := float64(part.X[i*s+j]) - f.Mean
				ss += dv * dv
			}
		}
		f.Std = math.Sqrt(ss / float64(n))
		f.Constant = f.Min == f.Max
		if f.Constant {
			p.ConstantFeatures = append(p.ConstantFeatures, f.Name)
		}
		p.Features[j] = f
	}
	// Duplicate features: equal columns among the non-constant ones.
	seed := maphash.MakeSeed()
	groups := map[uint64][]int{}
	var order []uint64
	for j := range s {
		if p.Features[j].Constant {
			continue
		}
		var h maphash.Hash
		h.SetSeed(seed)
		var b [4]byte
		for _, part := range all.parts {
			for i := range part.Len() {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(part.X[i*s+j]))
				h.Write(b[:])
			}
		}
		k := h.Sum64()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], j)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		// Confirm equality against the group's first column.
		names := []string{p.Features[g[0]].Name}
		for _, j := range g[1:] {
			same := true
			for _, part := range all.parts {
				for i := 0; i < part.Len() && same; i++ {
					same = part.X[i*s+j] == part.X[i*s+g[0]]
				}
			}
			if same {
				names = append(names, p.Features[j].Name)
			}
		}
		if len(names) > 1 {
			p.DuplicateFeatures = append(p.DuplicateFeatures, names)
		}
	}
}

// rowSet is several datasets seen as one, without copying them.
type rowSet struct {
	parts []*data.Dataset
	n     int
}

func newRowSet(ds ...*data.Dataset) *rowSet {
	r := &rowSet{}
	for _, d := range ds {
		if d.Len() > 0 {
			r.parts = append(r.parts, d)
			r.n += d.Len()
		}
	}
	return r
}

func (r *rowSet) Len() int { return r.n }

func (r *rowSet) locate(i int) (*data.Dataset, int) {
	for _, d := range r.parts {
		if i < d.Len() {
			return d, i
		}
		i -= d.Len()
	}
	panic("rowSet: index out of range")
}

func (r *rowSet) Row(i int) []float32 { d, j := r.locate(i); return d.Row(j) }
func (r *rowSet) Label(i int) int     { d, j := r.locate(i); return d.Y[j] }

// rows is what rowIndex indexes.
type rows interface {
	Len() int
	Row(i int) []float32
}

// rowIndex finds exact duplicates of examples by hashing their features.
type rowIndex struct {
	seed  maphash.Seed
	d     rows
	first map[uint64]int
	buf   []byte
}

func newRowIndex(d rows) *rowIndex {
	return &rowIndex{seed: maphash.MakeSeed(), d: d, first: make(map[uint64]int, d.Len())}
}

func (r *rowIndex) hash(row []float32) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	if cap(r.buf) < 4*len(row) {
		r.buf = make([]byte, 4*len(row))
	}
	b := r.buf[:4*len(row)]
	for j, v := range row {
		binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
	}
	h.Write(b)
	return h.Sum64()
}

// add records example i and returns the earlier example it duplicates,
// or -1.
func (r *rowIndex) add(i int) int {
	row := r.d.Row(i)
	k := r.hash(row)
	if j, ok := r.first[k]; ok && slices.Equal(r.d.Row(j), row) {
		return j
	}
	if _, ok := r.first[k]; !ok {
		r.first[k] = i
	}
	return -1
}

// contains tells whether row equals an indexed example.
func (r *rowIndex) contains(row []float32) bool {
	j, ok := r.first[r.hash(row)]
	return ok && slices.Equal(r.d.Row(j), row)
}

func (p *Report) duplicates(all *rowSet, sp *data.Splits) {
	idx := newRowIndex(all)
	for i := range all.Len() {
		if j := idx.add(i); j >= 0 {
			p.DuplicateRows++
			if all.Label(i) != all.Label(j) {
				p.ConflictingDuplicates++
			}
		}
	}
	count := func(in, of *data.Dataset) int {
		if in.Len() == 0 || of.Len() == 0 {
			return 0
		}
		ix := newRowIndex(in)
		for i := range in.Len() {
			ix.add(i)
		}
		n := 0
		for i := range of.Len() {
			if ix.contains(of.Row(i)) {
				n++
			}
		}
		return n
	}
	p.Leakage = Leakage{TrainVal: count(sp.Train, sp.Val), TrainTest: count(sp.Train, sp.Test), ValTest: count(sp.Val, sp.Test)}
}

// pca projects a seeded sample of standardized examples on their first
// two principal components.
func (p *Report) pca(all *rowSet, seed uint64) error {
	n, s := all.Len(), all.parts[0].SampleSize()
	order := rand.New(rand.NewPCG(seed, 0x706361)).Perm(n)
	order = order[:min(n, pcaSample)]
	slices.Sort(order)
	x := make([]float32, 0, len(order)*s)
	for _, i := range order {
		for j, v := range all.Row(i) {
			f := p.Features[j]
			z := 0.0
			if f.Std > 0 {
				z = (float64(v) - f.Mean) / f.Std
			}
			x = append(x, float32(z))
		}
		p.pcaY = append(p.pcaY, all.Label(i))
	}
	if len(order) < 3 || s < 2 {
		return nil
	}
	fit, err := stats.FitPCA(x, s, 1, 2)
	if err != nil {
		return err
	}
	// The share of the sample's total variance along each component.
	m := len(order)
	var total float64
	for j := range s {
		var sum, ss float64
		for i := range m {
			sum += float64(x[i*s+j])
		}
		mean := sum / float64(m)
		for i := range m {
			d := float64(x[i*s+j]) - mean
			ss += d * d
		}
		total += ss / float64(m-1)
	}
	if total == 0 {
		return nil // every feature is constant: there is no direction to show
	}
	// stats.FitPCA keeps one component when it holds all the variance (the
	// features are multiples of one another); the view's second axis is
	// then 0 for every example, and its share 0. A share is at most 1,
	// whatever the rounding of the two ways the variance is summed.
	k := len(fit.Variance)
	xy := fit.Transform(x)
	p.pcaXY = make([]float32, 2*m)
	p.PCAExplained = make([]float64, 2)
	for c := range min(k, 2) {
		p.PCAExplained[c] = min(1, fit.Variance[c]/total)
		for i := range m {
			p.pcaXY[2*i+c] = xy[i*k+c]
		}
	}
	p.PCAExamples = m
	return nil
}

func isCSV(source string) bool {
	l := strings.ToLower(source)
	if !strings.HasSuffix(l, ".csv") && !strings.HasSuffix(l, ".csv.gz") {
		return false
	}
	st, err := os.Stat(source)
	return err == nil && !st.IsDir()
}

// checkCells counts, per column, the cells of a CSV that are not finite
// numbers (the label column is skipped). When the file cannot be read
// cell by cell, loading it fails too, with the same error, which the
// profile then reports.
func checkCells(path string, opt data.CSVOptions) NonFinite {
	nf := NonFinite{Checked: "every cell of " + filepath.Base(path) + " but the label column"}
	if len(opt.IgnoreColumns) > 0 {
		nf.Checked += " and the ignored columns"
	}
	cols, err := data.CheckCSVCells(path, opt)
	if err != nil {
		nf.Checked = "not checked: " + err.Error()
		return nf
	}
	for _, c := range cols {
		nf.Columns = append(nf.Columns, Column{Column: c.Column, NaN: c.NaN, Inf: c.Inf, Empty: c.Empty, NonNumeric: c.NonNumeric, First: c.FirstRow})
		nf.NaN += c.NaN
		nf.Inf += c.Inf
		nf.Empty += c.Empty
		nf.NonNumeric += c.NonNumeric
	}
	return nf
}

// Write writes profile.json, the figures and report.html into out.
func (p *Report) Write(out string) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	files := []string{File}
	b, err := report.JSON(p)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(out, File), b); err != nil {
		return nil, err
	}
	if p.splits != nil {
		figs, err := p.writeFigures(out)
		if err != nil {
			return nil, err
		}
		files = append(files, figs...)
	}
	page, err := p.html(out)
	if err != nil {
		return nil, err
	}
	files = append(files, report.HTMLFile)
	return files, atomicfile.Write(filepath.Join(out, report.HTMLFile), page)
}
