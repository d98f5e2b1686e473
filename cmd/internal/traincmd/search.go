package traincmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/practica-ml/practica/config"
	"github.com/practica-ml/practica/experiment"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/rundir"
	"github.com/practica-ml/practica/search"
)

// catSearch is the help's section of the search flags.
const catSearch = "hyper-parameter search"

// searchFlags are the flags of train --search.
func searchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "search", Category: catSearch, Usage: "run the trials of this search space (YAML) into OUT/search-NAME/trials/ instead of one training"},
		&cli.StringFlag{Name: "shard", Category: catSearch, Usage: "run only the trials i with i mod N = K, given as K/N", DefaultText: "from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID, else all"},
		&cli.IntFlag{Name: "shards", Category: catSearch, Usage: "number of shards N, with JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) as K", DefaultText: "1"},
	}
}

// notWithSearch are the modes a search cannot be combined with.
var notWithSearch = []string{"resume", "allow-data-change", "lr-sweep", "overfit-one", "overfit-batch", "naive-embeddings", "feasibility", "json"}

// searchAction runs this process's shard of train --search into the
// search directory, with the trials trained by package experiment.
func searchAction(ctx context.Context, c *cli.Context, out *output, base config.Experiment, opt experiment.Options) error {
	for _, f := range notWithSearch {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s cannot be combined with --search", f)
		}
	}
	if c.String("lr") == "auto" {
		return cliutil.Usagef(c, "--lr auto cannot be combined with --search: search optimizer.lr instead")
	}
	path := c.String("search")
	spaceYAML, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--search: %w", err)
	}
	space, err := search.ParseSpace(path)
	if err != nil {
		return err
	}
	shard, err := search.ResolveShard(c.String("shard"), c.Int("shards"), os.Getenv)
	if err != nil {
		return cliutil.Usagef(c, "%v", err)
	}
	name := base.Output.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	// --name names the search, not each trial.
	base.Output.Name = ""
	dir, err := filepath.Abs(search.Dir(base.Output.Root, name))
	if err != nil {
		return err
	}
	r := &search.Runner{Space: space, SpaceYAML: spaceYAML, Base: base, Dir: dir, Shard: shard, Log: opt.Log,
		Train: func(ctx context.Context, cfg config.Experiment, runDir string) (*rundir.Summary, error) {
			return experiment.TrainAt(ctx, cfg, runDir, opt)
		},
		Resume: func(ctx context.Context, runDir string, epochs int) (*rundir.Summary, error) {
			return experiment.Resume(ctx, runDir, experiment.Epochs(epochs), opt)
		},
	}
	res, err := r.Run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return &cliutil.Exit{Code: cliutil.InterruptCode(ctx), Err: fmt.Errorf("search interrupted; run the same command again to resume: %w", err)}
		}
		return err
	}
	fmt.Fprintf(out.stdout, "search %s, shard %d/%d (%s): %d trainings run (a promoted trial once per rung), %d found done, %d failed\n",
		dir, shard.K, shard.N, shard.From, len(res.Ran), len(res.Skipped), len(res.Failed))
	fmt.Fprintf(out.stdout, "when every shard is done: eval --search %s\n", dir)
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d trials failed (%v): see %s and their run directories", len(res.Failed), res.Failed, filepath.Join(dir, search.FailedDir))
	}
	return nil
}
