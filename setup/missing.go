package setup

import (
	"fmt"
	"slices"
	"strings"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/data"
)

// csvOptions are the data.OpenOptions fields of the config's CSV options.
// The config is validated before, so the delimiter parses.
func csvOptions(d config.Data, opt data.OpenOptions) data.OpenOptions {
	opt.Delimiter, _ = data.ParseDelimiter(d.Delimiter)
	opt.IgnoreColumns = d.IgnoreColumns
	opt.Missing = data.Missing(d.Missing)
	return opt
}

// applyCSVOptions records in the input schema how training read its CSV
// (the delimiter, the ignored columns), so that predict reads new rows
// alike, and under data.missing mean or median fits the imputation on the
// training split, fills every split with it and stores it in the schema,
// whose shape becomes the model's input (the indicators appended). It
// runs before the normalization, which then sees filled values. A source
// read without these options is left exactly as it was.
func (p *Prepared) applyCSVOptions() error {
	cfg, sp := p.Config.Data, p.Splits
	if sp.Train.Kind != data.Tabular {
		return nil
	}
	if r, err := data.ParseDelimiter(cfg.Delimiter); err == nil && r != ',' {
		p.Schema.Delimiter = string(r)
	}
	for _, c := range cfg.IgnoreColumns {
		// Trimmed as the reader matched them against the trimmed header.
		p.Schema.IgnoredColumns = append(p.Schema.IgnoredColumns, strings.TrimSpace(c))
	}
	if n := sp.Train.DroppedRows; n > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("data.missing drop left out %d rows of %s with a missing feature cell; predict refuses such rows (mean or median would fill them)",
			n, cfg.Source))
	}
	rule := data.Missing(cfg.Missing)
	if !rule.Imputes() {
		return nil
	}
	m, err := data.FitImputation(sp.Train, rule, cfg.MissingIndicator)
	if err != nil {
		return err
	}
	for _, d := range []*data.Dataset{sp.Train, sp.Val, sp.Test} {
		if err := m.Apply(d); err != nil {
			return err
		}
	}
	p.Schema.Missing = m
	p.Schema.Shape = slices.Clone(sp.Train.Shape)
	return nil
}
