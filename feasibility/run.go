package feasibility

import (
	"context"
	"fmt"
	"io"

	"github.com/practica-ml/practica/setup"
)

// BatchSize is the overfit-batch size that --feasibility uses.
const BatchSize = 16

// Options choose the tests to run.
type Options struct {
	OverfitOne bool
	// OverfitBatch is N of overfit-batch (0: not run).
	OverfitBatch    int
	NaiveEmbeddings bool
	// Clustering runs the probe's embeddings too, without reporting the
	// probe unless NaiveEmbeddings is set.
	Clustering bool
	// Steps is the overfit step budget (DefaultSteps when 0).
	Steps int
	// Progress receives progress lines (stderr); nil for none.
	Progress io.Writer
}

// All is every test, as --feasibility runs them.
func All(steps int, progress io.Writer) Options {
	return Options{OverfitOne: true, OverfitBatch: BatchSize, NaiveEmbeddings: true, Clustering: true, Steps: steps, Progress: progress}
}

// Run runs the chosen tests in order (overfit-one, overfit-batch, naive
// embeddings, clustering) on a prepared experiment.
func Run(ctx context.Context, p *setup.Prepared, opt Options) (*Report, error) {
	r := &Report{}
	var err error
	if opt.OverfitOne {
		if r.OverfitOne, err = overfit(ctx, p, overfitConfig{Examples: 1, Steps: opt.Steps, Progress: opt.Progress}); err != nil {
			return nil, fmt.Errorf("overfit-one: %w", err)
		}
	}
	if opt.OverfitBatch > 0 {
		if r.OverfitBatch, err = overfit(ctx, p, overfitConfig{Examples: opt.OverfitBatch, Steps: opt.Steps, Baseline: true, Progress: opt.Progress}); err != nil {
			return nil, fmt.Errorf("overfit-batch: %w", err)
		}
	}
	if opt.NaiveEmbeddings || opt.Clustering {
		naive, err := naiveEmbeddings(ctx, p, naiveConfig{Progress: opt.Progress})
		if err != nil {
			return nil, fmt.Errorf("naive embeddings: %w", err)
		}
		if opt.NaiveEmbeddings {
			r.NaiveEmbeddings = naive
		}
		if opt.Clustering {
			if r.Clustering, err = clustering(naive, p.Config.Training.Seed, opt.Progress); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}
