package traincmd

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/practica-ml/practica/deploy"
	"github.com/practica-ml/practica/internal/cliutil"
	"github.com/practica-ml/practica/search"
)

// What --emit writes.
const (
	emitKubernetes = "kubernetes"
	emitSlurm      = "slurm"
)

// defaultPodOutRoot is the output root in the pods, where the claim is
// mounted, when --out is not given.
const defaultPodOutRoot = "/data"

// emitFlags are the flags that describe a search for a scheduler instead
// of running it.
func emitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "emit", Category: catEmit, Usage: "with --search: print what runs every shard, a Kubernetes Job (kubernetes) or an sbatch script (slurm), instead of running", DefaultText: "run here"},
		&cli.StringFlag{Name: "image", Category: catEmit, Usage: "--emit kubernetes: the container image (its entrypoint is practica)"},
		&cli.StringFlag{Name: "pvc", Category: catEmit, Usage: "--emit kubernetes: the PersistentVolumeClaim mounted at --out in every pod", DefaultText: "none"},
		&cli.StringFlag{Name: "cpu", Category: catEmit, Value: "2", Usage: "--emit: CPUs of each shard, a Kubernetes quantity (2, 500m); Slurm rounds up"},
		&cli.StringFlag{Name: "memory", Category: catEmit, Value: "4Gi", Usage: "--emit: memory of each shard (request and limit), a Kubernetes quantity (4Gi, 500M)"},
		&cli.IntFlag{Name: "backoff-limit", Category: catEmit, Value: 3, Usage: "--emit kubernetes: retries of each shard's pod"},
	}
}

// emitOnlyFlags mean nothing without --emit.
var emitOnlyFlags = []string{"image", "pvc", "cpu", "memory", "backoff-limit"}

// emitWritesItself are the flags whose values the emitted command gets
// from emitAction (files moved to where the shards read them, defaults
// made explicit) rather than copied.
var emitWritesItself = map[string]bool{"emit": true, "search": true, "shards": true, "out": true, "name": true, "config": true,
	"image": true, "pvc": true, "cpu": true, "memory": true, "backoff-limit": true}

// emitRefuses are flags that cannot go into every shard's command, and why.
var emitRefuses = map[string]string{
	"shard":        "--emit runs every shard; --shard runs one here",
	"resume":       "a search's shards resume their own trials",
	"print-config": "it would make every shard print and exit",
}

// checkEmitOnly rejects the flags of --emit given without it.
func checkEmitOnly(c *cli.Context) error {
	for _, f := range emitOnlyFlags {
		if c.IsSet(f) {
			return cliutil.Usagef(c, "--%s needs --emit", f)
		}
	}
	return nil
}

// emitAction prints the Kubernetes Job or the Slurm script that runs the
// search of --search in --shards shards.
func emitAction(c *cli.Context, out *output) error {
	kind := c.String("emit")
	if kind != emitKubernetes && kind != emitSlurm {
		return cliutil.Usagef(c, "--emit %q: want %s or %s", kind, emitKubernetes, emitSlurm)
	}
	if !c.IsSet("search") {
		return cliutil.Usagef(c, "--emit needs --search SPACE.yaml: the search every shard runs")
	}
	if n := c.Int("shards"); n < 1 {
		return cliutil.Usagef(c, "--shards must be ≥ 1 with --emit, got %d", n)
	}
	for name, why := range emitRefuses {
		if c.IsSet(name) {
			return cliutil.Usagef(c, "--%s cannot be combined with --emit: %s", name, why)
		}
	}
	for _, f := range []string{"image", "pvc"} {
		if kind == emitKubernetes && c.String(f) == "" {
			return cliutil.Usagef(c, "--emit %s needs --%s", emitKubernetes, f)
		}
	}
	for _, f := range []string{"image", "pvc", "backoff-limit"} {
		if kind == emitSlurm && c.IsSet(f) {
			return cliutil.Usagef(c, "--%s needs --emit %s", f, emitKubernetes)
		}
	}
	// A space that cannot run is said here, not in N pods' logs.
	if _, err := search.ParseSpace(c.String("search")); err != nil {
		return fmt.Errorf("--search: %w", err)
	}
	res, err := emitResources(c)
	if err != nil {
		return err
	}
	s, err := emitSearch(c, res, kind)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch kind {
	case emitKubernetes:
		if !path.IsAbs(s.OutRoot) {
			return cliutil.Usagef(c, "--out %q: with --emit %s, an absolute path in the pods (the claim is mounted there)", s.OutRoot, emitKubernetes)
		}
		err = deploy.WriteKubernetes(&b, s, deploy.Kubernetes{Image: c.String("image"), PVC: c.String("pvc"),
			Resources: res, BackoffLimit: int32(c.Int("backoff-limit"))})
	case emitSlurm:
		err = deploy.WriteSlurm(&b, s, res)
	}
	if err != nil {
		return err
	}
	_, err = out.stdout.Write(b.Bytes())
	return err
}

// emitResources reads --cpu and --memory.
func emitResources(c *cli.Context) (deploy.Resources, error) {
	var res deploy.Resources
	for _, q := range []struct {
		flag, example string
		dst           *resource.Quantity
	}{{"cpu", "2 or 500m", &res.CPU}, {"memory", "4Gi or 500M", &res.Memory}} {
		v, err := resource.ParseQuantity(c.String(q.flag))
		if err != nil || v.Sign() <= 0 {
			return res, cliutil.Usagef(c, "--%s %q: want a positive Kubernetes quantity such as %s", q.flag, c.String(q.flag), q.example)
		}
		*q.dst = v
	}
	return res, nil
}

// emitSearch is the search every shard runs: the files read here (to go
// into the Job) and named by absolute paths (for the Slurm nodes), the
// output root and name given explicitly, and every other train flag that
// was set passed through as it was.
func emitSearch(c *cli.Context, res deploy.Resources, kind string) (deploy.Search, error) {
	space, err := readEmitFile("search", c.String("search"))
	if err != nil {
		return deploy.Search{}, err
	}
	s := deploy.Search{Space: space, Shards: c.Int("shards"), Name: c.String("name"), OutRoot: c.String("out")}
	if c.IsSet("config") {
		cfg, err := readEmitFile("config", c.String("config"))
		if err != nil {
			return s, err
		}
		s.Config = &cfg
	}
	if !c.IsSet("name") {
		base := filepath.Base(space.Path)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	switch {
	case kind == emitKubernetes && !c.IsSet("out"):
		s.OutRoot = defaultPodOutRoot
	case kind == emitSlurm:
		if s.OutRoot, err = filepath.Abs(s.OutRoot); err != nil {
			return s, err
		}
	}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if c.IsSet(name) && !emitWritesItself[name] {
			s.TrainArgs = append(s.TrainArgs, fmt.Sprintf("--%s=%v", name, c.Value(name)))
		}
	}
	if !c.IsSet("max-memory") {
		// In a container or a Slurm task MemTotal is the node's, not the
		// shard's: the default share of it could exceed --memory.
		s.TrainArgs = append(s.TrainArgs, fmt.Sprintf("--max-memory=%dMiB", res.Memory.Value()*defaultMemoryPercent/100>>20))
	}
	return s, nil
}

// readEmitFile reads the file of a flag, to be carried to the shards,
// under its absolute path.
func readEmitFile(flag, name string) (deploy.File, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return deploy.File{}, fmt.Errorf("--%s %s: %w", flag, name, err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return deploy.File{}, fmt.Errorf("--%s: %w", flag, err)
	}
	return deploy.File{Path: abs, Content: b}, nil
}
